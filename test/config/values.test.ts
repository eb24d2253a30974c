import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parseBoolean,
  parseDuration,
  parseInteger,
  parseList,
  parseNumber,
  ValueError,
} from '../../src/config/values.js';

describe('parseDuration (Go time.ParseDuration syntax, in milliseconds)', () => {
  const valid: [string, number][] = [
    ['10s', 10_000],
    ['6000ms', 6000],
    ['100ms', 100],
    ['1h', 3_600_000],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['0', 0],
    ['0s', 0],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
  ];
  for (const [text, ms] of valid) {
    test(`"${text}" is ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  }

  // Each of these is refused by Go's time.ParseDuration too.
  for (const text of ['', '10', '5x', '1hh', 's', '1 s', '1h-', 'ten seconds', '00']) {
    test(`"${text}" is refused with a ValueError that gives examples`, () => {
      assert.throws(
        () => parseDuration(text),
        (error: unknown) => {
          assert.ok(error instanceof ValueError);
          assert.match(error.message, /duration such as .*10s/);
          return true;
        },
      );
    });
  }
});

describe('parseInteger', () => {
  test('reads plain integers and Go `_` digit separators', () => {
    assert.equal(parseInteger('100'), 100);
    assert.equal(parseInteger('10_485_760'), 10_485_760);
    assert.equal(parseInteger('0'), 0);
    assert.equal(parseInteger('-3'), -3);
  });

  for (const text of ['lots', '1__0', '_10', '10_', '1.5', '', '1e3', '10 000']) {
    test(`"${text}" is refused with a ValueError`, () => {
      assert.throws(() => parseInteger(text), ValueError);
    });
  }

  test('a number JavaScript cannot hold exactly is refused rather than rounded', () => {
    assert.throws(() => parseInteger('9007199254740993'), ValueError);
  });
});

describe('parseNumber', () => {
  test('reads integers, decimals and `_` separators', () => {
    assert.equal(parseNumber('50_000'), 50_000);
    assert.equal(parseNumber('0.5'), 0.5);
  });

  test('refuses words', () => assert.throws(() => parseNumber('many'), ValueError));
});

describe('parseBoolean (Go strconv.ParseBool set)', () => {
  for (const text of ['1', 't', 'T', 'TRUE', 'true', 'True']) {
    test(`"${text}" is true`, () => assert.equal(parseBoolean(text), true));
  }
  for (const text of ['0', 'f', 'F', 'FALSE', 'false', 'False']) {
    test(`"${text}" is false`, () => assert.equal(parseBoolean(text), false));
  }
  // Go refuses mixed case other than Title case, and yes/no/on/off.
  for (const text of ['yes', 'no', 'on', 'off', 'tRUE', 'fAlse', '2', '']) {
    test(`"${text}" is refused`, () => assert.throws(() => parseBoolean(text), ValueError));
  }
});

describe('parseList', () => {
  test('splits on commas and trims each item', () => {
    assert.deepEqual(
      parseList('a:9092, b:9092 ,c:9092', (part) => part),
      ['a:9092', 'b:9092', 'c:9092'],
    );
  });

  test('drops empty items', () => {
    assert.deepEqual(
      parseList('a,,b,', (part) => part),
      ['a', 'b'],
    );
    assert.deepEqual(
      parseList('', (part) => part),
      [],
    );
  });

  test("parses each item with the item parser and lets that parser's error through", () => {
    assert.deepEqual(parseList('502,503, 429', parseInteger), [502, 503, 429]);
    assert.throws(() => parseList('502,lots', parseInteger), ValueError);
  });
});
