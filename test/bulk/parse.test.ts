import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ParsedMessage } from '../../src/bulk/items.js';
import { parseMessage } from '../../src/bulk/parse.js';
import { arkimeMessages, bulkLines, indexFor, readSessions } from '../../stack/arkime.js';

const sessions = readSessions();
const prefix = 'mf_test';
const [one, two, three] = sessions as [(typeof sessions)[0], (typeof sessions)[0], (typeof sessions)[0]];
const pair = (session: typeof one): string => bulkLines(session, indexFor(session, prefix));
const text = (buffer: Buffer): string => buffer.toString('utf8');

/** The lines of each item, as sent. */
function itemTexts(parsed: ParsedMessage): string[] {
  return parsed.items.map((item) => text(parsed.body.subarray(item.start, item.end)));
}

/** Items must tile the body exactly: a bulk request is nothing but its items. */
function assertItemsTileBody(parsed: ParsedMessage): void {
  let at = 0;
  for (const item of parsed.items) {
    assert.equal(item.start, at, 'items must follow each other');
    assert.equal(parsed.body[item.end - 1], 0x0a, 'each item must end in a newline');
    at = item.end;
  }
  assert.equal(at, parsed.body.length, 'the body must hold nothing but the items');
}

describe('bulk format', () => {
  const [message] = arkimeMessages(sessions.slice(0, 50), 'bulk', prefix);
  assert.ok(message !== undefined);
  const parsed = parseMessage(message);

  test('the body is the very Buffer received: bytes in, bytes out', () => {
    assert.equal(parsed.format, 'bulk');
    assert.equal(parsed.body, message);
    assert.deepEqual(parsed.rejected, []);
  });

  test('every pair becomes an item with the index and id of its action line', () => {
    assert.equal(parsed.items.length, 50);
    parsed.items.forEach((item, i) => {
      const session = sessions[i] as typeof one;
      assert.equal(item.action, 'index');
      assert.equal(item.index, indexFor(session, prefix));
      assert.equal(item.id, session.id);
    });
  });

  test("each item's offsets cover exactly its pair's bytes", () => {
    assert.deepEqual(itemTexts(parsed), sessions.slice(0, 50).map(pair));
    assertItemsTileBody(parsed);
  });

  test('bulk1: a single pair passes through as received', () => {
    const [single] = arkimeMessages([two], 'bulk1', prefix);
    assert.ok(single !== undefined);
    const result = parseMessage(single);
    assert.equal(result.body, single);
    assert.deepEqual(
      result.items.map((i) => [i.action, i.index, i.id, i.start, i.end]),
      [['index', indexFor(two, prefix), two.id, 0, single.length]],
    );
  });

  test('an action line without _index or _id gives undefined for them (autoGenerateId=true)', () => {
    const result = parseMessage(Buffer.from(`{"index":{}}\n${JSON.stringify(one.doc)}\n`));
    assert.deepEqual(
      result.items.map((i) => [i.action, i.index, i.id]),
      [['index', undefined, undefined]],
    );
  });
});

describe('doc format', () => {
  const [message] = arkimeMessages([three], 'doc', prefix);
  assert.ok(message !== undefined);
  const parsed = parseMessage(message);

  test('gets a generated action line targeting its "index" field', () => {
    assert.equal(parsed.format, 'doc');
    assert.deepEqual(
      parsed.items.map((i) => [i.action, i.index, i.id]),
      [['index', indexFor(three, prefix), undefined]],
    );
    const [action] = text(parsed.body).split('\n');
    assert.deepEqual(JSON.parse(action ?? ''), { index: { _index: indexFor(three, prefix) } });
    assertItemsTileBody(parsed);
  });

  test('the stored document is the original without its "index" field', () => {
    const lines = text(parsed.body).split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    const stored = JSON.parse(lines[1] ?? '') as Record<string, unknown>;
    assert.equal('index' in stored, false);
    assert.deepEqual(stored, three.doc);
  });

  const bad: [string, string][] = [
    ['not JSON', 'this is not json'],
    ['JSON without "index"', JSON.stringify(one.doc)],
    ['"index" that is not a string', JSON.stringify({ ...one.doc, index: 7 })],
    ['"index" that is empty', JSON.stringify({ ...one.doc, index: '' })],
    ['a JSON array', '[1,2,3]'],
  ];
  for (const [what, body] of bad) {
    test(`a document that is ${what} is rejected as malformed_document, whole`, () => {
      const value = Buffer.from(body);
      const result = parseMessage(value);
      assert.deepEqual(result.items, []);
      assert.equal(result.body.length, 0);
      assert.equal(result.rejected.length, 1);
      assert.equal(result.rejected[0]?.reason, 'malformed_document');
      assert.equal(result.rejected[0]?.bytes, value);
    });
  }
});

describe('actions', () => {
  test('a delete has no document line, so the pair after it stays together', () => {
    // The Go indexer pairs lines two by two, which would join the delete with the next action.
    const deleteLine = `{"delete":{"_index":"${indexFor(one, prefix)}","_id":"gone-1"}}\n`;
    const value = Buffer.from(deleteLine + pair(two) + pair(three));
    const parsed = parseMessage(value);
    assert.equal(parsed.body, value);
    assert.deepEqual(
      parsed.items.map((i) => [i.action, i.id]),
      [
        ['delete', 'gone-1'],
        ['index', two.id],
        ['index', three.id],
      ],
    );
    assert.deepEqual(itemTexts(parsed), [deleteLine, pair(two), pair(three)]);
  });

  test('create and update take the next line as their document', () => {
    const create = `{"create":{"_index":"x","_id":"c1"}}\n${JSON.stringify(one.doc)}\n`;
    const update = `{"update":{"_index":"x","_id":42}}\n{"doc":{"tags":["seen"]}}\n`;
    const value = Buffer.from(create + update);
    const parsed = parseMessage(value);
    assert.equal(parsed.body, value);
    assert.deepEqual(
      parsed.items.map((i) => [i.action, i.id]),
      [
        ['create', 'c1'],
        ['update', '42'],
      ],
    );
    assert.deepEqual(itemTexts(parsed), [create, update]);
  });
});

describe('a message with a bad line is refused whole, before it joins a bulk request', () => {
  function assertRefusedWhole(value: Buffer, reason: string, detail: RegExp): void {
    const parsed = parseMessage(value);
    assert.deepEqual([parsed.items, parsed.body.length], [[], 0], 'nothing of it is sent');
    assert.equal(parsed.rejected.length, 1);
    assert.equal(parsed.rejected[0]?.reason, reason);
    assert.equal(parsed.rejected[0]?.bytes, value, 'the whole message, as received');
    assert.match(parsed.rejected[0]?.detail ?? '', detail);
  }

  test('a malformed action line among good pairs', () => {
    const broken = `{"index":{"_index":"x" BROKEN\n${JSON.stringify(two.doc)}\n`;
    assertRefusedWhole(Buffer.from(pair(one) + broken + pair(three)), 'malformed_action', /^line 3 /);
  });

  test('an action line with more than the action in it', () => {
    assertRefusedWhole(
      Buffer.from(`${pair(one)}{"index":{},"extra":1}\n{}\n${pair(two)}`),
      'malformed_action',
      /line 3/,
    );
  });

  test('an unknown action', () => {
    assertRefusedWhole(
      Buffer.from(`{"upsert":{"_index":"x"}}\n{}\n${pair(two)}`),
      'malformed_action',
      /line 1/,
    );
  });

  test('a truncated bulk: the last action without its document', () => {
    const lastAction = `{"index":{"_index":"x","_id":"last"}}`;
    assertRefusedWhole(
      Buffer.from(`${pair(one)}${pair(two)}${lastAction}\n`),
      'missing_document',
      /line 5: index action/,
    );
  });

  test('a single action line alone is missing its document, not a doc-format message', () => {
    assertRefusedWhole(Buffer.from('{"index":{"_index":"x"}}'), 'missing_document', /line 1/);
  });

  test('invalid UTF-8 anywhere', () => {
    const value = Buffer.concat([
      Buffer.from(pair(one)),
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]),
    ]);
    assertRefusedWhole(value, 'invalid_utf8', /UTF-8/);
  });

  test('an empty message, a tombstone, or only blank lines', () => {
    assertRefusedWhole(Buffer.alloc(0), 'empty_message', /empty/);
    assertRefusedWhole(Buffer.from('\n\n  \n'), 'empty_message', /blank/);
    const tombstone = parseMessage(undefined);
    assert.deepEqual([tombstone.items, tombstone.rejected[0]?.reason], [[], 'empty_message']);
  });
});

describe('line endings', () => {
  test('a message without a trailing newline gets one; nothing is lost', () => {
    const full = pair(one) + pair(two);
    const parsed = parseMessage(Buffer.from(full.slice(0, -1)));
    assert.equal(text(parsed.body), full);
    assert.deepEqual(itemTexts(parsed), [pair(one), pair(two)]);
    assertItemsTileBody(parsed);
  });

  test('blank and whitespace-only lines are dropped from the body', () => {
    const parsed = parseMessage(Buffer.from(`\n${pair(one)}\n  \n${pair(two)}\t\n\n`));
    assert.deepEqual(parsed.rejected, []);
    assert.equal(text(parsed.body), pair(one) + pair(two));
    assertItemsTileBody(parsed);
  });

  test('CRLF line endings become LF', () => {
    const parsed = parseMessage(Buffer.from((pair(one) + pair(two)).replaceAll('\n', '\r\n')));
    assert.deepEqual(parsed.rejected, []);
    assert.equal(text(parsed.body), pair(one) + pair(two));
    assertItemsTileBody(parsed);
  });
});

describe('garbage', () => {
  // Deterministic, so a failure can be replayed.
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
  }

  /** Lines with more than spaces and tabs in them (a '\r' before the '\n' does not count). */
  function lines(buffer: Buffer): number {
    return text(buffer)
      .split('\n')
      .filter((line) => /[^ \t]/.test(line.replace(/\r$/, ''))).length;
  }

  test('random bytes never throw: a message is either sent line for line or refused whole', () => {
    const next = random(7);
    const pieces = [
      '{"index":{"_index":"x","_id":"a"}}',
      '{"delete":{"_index":"x","_id":"d"}}',
      '{"create":{"_id":1}}',
      '{"update":{}}',
      JSON.stringify(one.doc),
      '{"index":',
      'garbage',
      '',
      '  ',
      '\r',
    ];
    for (let round = 0; round < 2000; round += 1) {
      const parts: Buffer[] = [];
      const count = Math.floor(next() * 8);
      for (let i = 0; i < count; i += 1) {
        if (next() < 0.2) {
          parts.push(
            Buffer.from(Array.from({ length: Math.floor(next() * 20) }, () => Math.floor(next() * 256))),
          );
        } else parts.push(Buffer.from(pieces[Math.floor(next() * pieces.length)] ?? ''));
        if (i < count - 1 || next() < 0.5) parts.push(Buffer.from('\n'));
      }
      const value = Buffer.concat(parts);
      const parsed = parseMessage(value);
      if (parsed.format === 'doc') continue;
      if (parsed.rejected.length > 0) {
        assert.deepEqual([parsed.items.length, parsed.rejected.length], [0, 1], `round ${round}`);
        assert.equal(parsed.rejected[0]?.bytes, value);
        continue;
      }
      assertItemsTileBody(parsed);
      assert.equal(lines(parsed.body), lines(value), `round ${round}: ${JSON.stringify(text(value))}`);
    }
  });
});

describe("Arkime's action line, read without JSON.parse", () => {
  const doc = '{"a":1}';
  for (const action of [
    '{"index":{"_index":"arkime_sessions3-250124", "_id": "250124-abc"}}',
    '{"index":{"_index":"arkime_sessions3-250124","_id":"250124-abc"}}',
    '{"index":{"_index":"arkime_sessions3-250124"}}',
    '{"index": {"_index": "arkime_sessions3-250124", "_id": "250124-abc"}}',
    '{"index":{"_index":"a\\u0062c", "_id": "x\\"y"}}',
    '{"index":{"_index":"ünïcödé", "_id": "ïd"}}',
  ]) {
    test(`${action} gives what JSON.parse gives`, () => {
      const [item] = parseMessage(Buffer.from(`${action}\n${doc}\n`)).items;
      const meta = (JSON.parse(action) as { index: { _index: string; _id?: string } }).index;
      assert.deepEqual([item?.action, item?.index, item?.id], ['index', meta._index, meta._id]);
    });
  }

  test('an action line with something after the closing braces is not taken for one', () => {
    const parsed = parseMessage(Buffer.from(`{"index":{"_index":"x", "_id": "y"}}garbage\n${doc}\n`));
    assert.equal(parsed.rejected[0]?.reason, 'malformed_action');
  });
});
