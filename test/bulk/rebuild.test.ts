// Bodies built anew from some of a message's items: each item's lines end up at its new offsets,
// and the item keeps what its action line named, whichever way it was read.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ParsedMessage } from '../../src/bulk/items.js';
import { parseMessage } from '../../src/bulk/parse.js';
import { keepOnly, rebuild } from '../../src/bulk/rebuild.js';

/** Arkime's own action line (read byte by byte), then a general one (read through JSON.parse). */
const arkimePair = '{"index":{"_index":"sessions3-260101","_id":"a"}}\n{"n":1}\n';
const generalPair = '{ "create": { "_index": "other", "_id": 7 } }\n{"n":2}\n';
const deletion = '{"delete":{"_index":"sessions3-260101","_id":"c"}}\n';

const texts = (body: Buffer, items: ParsedMessage['items']): string[] =>
  items.map((item) => body.subarray(item.start, item.end).toString());
const named = (items: ParsedMessage['items']): [string | undefined, string | undefined][] =>
  items.map((item) => [item.index, item.id]);

describe('keepOnly', () => {
  test('keeps the chosen items, whole and in order, and what their action lines named', () => {
    const parsed = parseMessage(Buffer.from(arkimePair + generalPair + deletion));
    const [first, second, third] = parsed.items;
    assert.ok(first && second && third);
    const kept = keepOnly(parsed.body, [first, third]);
    assert.equal(kept.body.toString(), arkimePair + deletion);
    assert.deepEqual(texts(kept.body, kept.items), [arkimePair, deletion]);
    assert.deepEqual(named(kept.items), [
      ['sessions3-260101', 'a'],
      ['sessions3-260101', 'c'],
    ]);
    assert.deepEqual(
      kept.items.map((item) => item.action),
      ['index', 'delete'],
    );
  });

  test('copies each item as it is: a line ending in two CRs keeps the one the parse left', () => {
    const parsed = parseMessage(Buffer.from(`${generalPair}${arkimePair.replace('{"n":1}', '{"n":1}\r\r')}`));
    const second = parsed.items[1];
    assert.ok(second);
    const kept = keepOnly(parsed.body, [second]);
    assert.equal(kept.body.toString(), `${arkimePair.replace('{"n":1}', '{"n":1}\r')}`);
  });
});

describe('rebuild', () => {
  test('each line of each item ends in one newline; blank lines and CRs go', () => {
    const value = Buffer.from(`${arkimePair.replace('\n', '\r\n')}\n  \n${generalPair.slice(0, -1)}`);
    const parsed = parseMessage(value);
    const again = rebuild(parsed.body, parsed.items);
    assert.equal(again.body.toString(), arkimePair + generalPair);
    assert.deepEqual(texts(again.body, again.items), [arkimePair, generalPair]);
    assert.deepEqual(named(again.items), [
      ['sessions3-260101', 'a'],
      ['other', '7'],
    ]);
  });
});
