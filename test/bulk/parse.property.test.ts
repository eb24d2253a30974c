// parseMessage against real Arkime messages broken in every way a producer, a broker or a disk
// could break them: truncated, spliced, bytes flipped, newlines dropped or added, lines dropped,
// doubled or swapped, CRLF, nested deeply, above the request limit. Whatever comes in, nothing is
// lost: the parse never throws, and every line of the message either reaches the bulk body
// byte for byte, as an item of a well-formed action, or the whole message is refused with a
// reason and its bytes. (A `doc` message is the one kind written anew: its JSON value is kept.)
//
// fast-check generates the cases and, when one fails, shrinks it to a small one and prints the
// seed and path that replay it (fc.assert's { seed, path }).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { maxRequestBytes } from '../../src/config/limits.js';
import { arkimeId, withDerivedIds } from '../../src/bulk/derived-ids.js';
import type { ParsedMessage, RejectReason } from '../../src/bulk/items.js';
import { parseMessage } from '../../src/bulk/parse.js';
import { arkimeMessages, bulkLines, indexFor, readSessions } from '../../stack/arkime.js';

const sessions = readSessions();
const prefix = 'mf_prop';
const newline = 0x0a;
const bytes = (text: string): Buffer => Buffer.from(text);

// Every kind of item a bulk message may hold, for every session of the corpus, built once.
const itemKinds = {
  arkime: sessions.map((s) => bytes(bulkLines(s, indexFor(s, prefix)))),
  spaced: sessions.map((s) =>
    bytes(`{"index": {"_index": "${indexFor(s, prefix)}", "_id": "${s.id}"}}\n${JSON.stringify(s.doc)}\n`),
  ),
  noId: sessions.map((s) => bytes(`{"index":{"_index":"x"}}\n${JSON.stringify(s.doc)}\n`)),
  create: sessions.map((s) =>
    bytes(`{"create":{"_index":"x","_id":"c-${s.id}"}}\n${JSON.stringify(s.doc)}\n`),
  ),
  update: sessions.map((s, i) =>
    bytes(`{"update":{"_index":"x","_id":${i}}}\n{"doc":${JSON.stringify(s.doc)}}\n`),
  ),
  delete: sessions.map((s) => bytes(`{"delete":{"_index":"x","_id":"d-${s.id}"}}\n`)),
};
const docMessages = arkimeMessages(sessions, 'doc', prefix);

const session = fc.nat(sessions.length - 1);
// Arkime writes only its own kind; the others are what the bulk format allows besides.
const kind = fc.oneof(
  { arbitrary: fc.constant('arkime' as const), weight: 5 },
  { arbitrary: fc.constantFrom('spaced', 'noId', 'create', 'update', 'delete'), weight: 3 },
);
const item = fc.tuple(kind, session);
const bulk = fc
  .array(item, { minLength: 1, maxLength: 4 })
  .map((items) => Buffer.concat(items.map(([name, i]) => itemKinds[name][i] as Buffer)));
/** A message as Arkime writes it (bulk, bulk1, doc), in other shapes the format allows, or noise. */
const message = fc.oneof(
  { arbitrary: bulk, weight: 4 },
  { arbitrary: session.map((i) => itemKinds.arkime[i] as Buffer), weight: 2 },
  { arbitrary: session.map((i) => docMessages[i] as Buffer), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 48 }).map((a) => Buffer.from(a)), weight: 1 },
);

// Mutations. Positions are drawn as any natural number and taken modulo the length.
const at = fc.nat();
const interestingBytes = [0x0a, 0x0d, 0x7b, 0x7d, 0x5b, 0x22, 0x5c, 0x2c, 0x3a, 0x20, 0x00, 0xff, 0xc3, 0x80];
const insertions = [
  '\n',
  '\r\n',
  '\n\n',
  ' \t\n',
  '\r',
  '{',
  '}',
  '"',
  '\\',
  ',',
  'é',
  '\u2028',
  '{"index":{}}\n',
];
// Around the parser's limit of 1000, and past the ~4,000 levels where JSON.stringify runs out of stack.
const depth = fc.oneof(
  fc.integer({ min: 1, max: 40 }),
  fc.integer({ min: 995, max: 1005 }),
  fc.integer({ min: 1006, max: 6_000 }),
);

type Mutation = (value: Buffer) => Buffer;

/** The message split at each '\n' (the last part may be empty), and put back together. */
const parts = (value: Buffer): Buffer[] => {
  const result: Buffer[] = [];
  let start = 0;
  for (let end = value.indexOf(newline); end !== -1; end = value.indexOf(newline, start)) {
    result.push(value.subarray(start, end));
    start = end + 1;
  }
  result.push(value.subarray(start));
  return result;
};
const joined = (lines: Buffer[]): Buffer =>
  Buffer.concat(lines.flatMap((line, i) => (i === 0 ? [line] : [Buffer.of(newline), line])));
const pick = <T>(list: T[], n: number): number => n % Math.max(1, list.length);

/** Inserts `"n":<nested value>,` after the k-th '{' of a line: valid JSON stays valid, only deeper. */
function nest(line: Buffer, k: number, levels: number, array: boolean): Buffer {
  let brace = -1;
  for (let seen = 0; seen <= k % 2; seen += 1) {
    const next = line.indexOf(0x7b, brace + 1);
    if (next === -1) break;
    brace = next;
  }
  if (brace === -1) return line;
  const nested = array
    ? `${'['.repeat(levels)}${']'.repeat(levels)}`
    : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  return Buffer.concat([line.subarray(0, brace + 1), bytes(`"n":${nested},`), line.subarray(brace + 1)]);
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  at.map((n) => (v: Buffer) => v.subarray(0, n % (v.length + 1))),
  at.map((n) => (v: Buffer) => v.subarray(n % (v.length + 1))),
  fc.tuple(message, at, at).map(
    ([other, n, m]) =>
      (v: Buffer) =>
        Buffer.concat([v.subarray(0, n % (v.length + 1)), other.subarray(m % (other.length + 1))]),
  ),
  fc.tuple(message, fc.constantFrom('', '\n', '\r\n', '\n\n')).map(
    ([other, separator]) =>
      (v: Buffer) =>
        Buffer.concat([v, bytes(separator), other]),
  ),
  fc.tuple(at, fc.integer({ min: 1, max: 255 })).map(([n, mask]) => (v: Buffer) => {
    if (v.length === 0) return v;
    const copy = Buffer.from(v);
    copy[n % v.length] = (copy[n % v.length] as number) ^ mask;
    return copy;
  }),
  fc.tuple(at, fc.constantFrom(...interestingBytes)).map(([n, byte]) => (v: Buffer) => {
    if (v.length === 0) return v;
    const copy = Buffer.from(v);
    copy[n % v.length] = byte;
    return copy;
  }),
  fc.tuple(at, fc.constantFrom(...insertions)).map(
    ([n, text]) =>
      (v: Buffer) =>
        Buffer.concat([v.subarray(0, n % (v.length + 1)), bytes(text), v.subarray(n % (v.length + 1))]),
  ),
  at.map((n) => (v: Buffer) => {
    const lines = parts(v);
    const k = pick(lines, n);
    if (k === lines.length - 1) return v; // no newline after the last part
    return joined([
      ...lines.slice(0, k),
      Buffer.concat([lines[k] as Buffer, lines[k + 1] as Buffer]),
      ...lines.slice(k + 2),
    ]);
  }),
  fc.constant((v: Buffer) => Buffer.concat(parts(v))),
  fc.constant((v: Buffer) => Buffer.from(v.toString('latin1').replaceAll('\n', '\r\n'), 'latin1')),
  at.map((n) => (v: Buffer) => {
    const lines = parts(v);
    return joined(lines.filter((_, i) => i !== pick(lines, n)));
  }),
  at.map((n) => (v: Buffer) => {
    const lines = parts(v);
    const k = pick(lines, n);
    return joined([...lines.slice(0, k + 1), ...lines.slice(k)]);
  }),
  fc.tuple(at, at).map(([n, m]) => (v: Buffer) => {
    const lines = parts(v);
    const [a, b] = [pick(lines, n), pick(lines, m)];
    [lines[a], lines[b]] = [lines[b] as Buffer, lines[a] as Buffer];
    return joined(lines);
  }),
  fc.tuple(at, at, depth, fc.boolean()).map(([n, k, levels, array]) => (v: Buffer) => {
    const lines = parts(v);
    const i = pick(lines, n);
    lines[i] = nest(lines[i] as Buffer, k, levels, array);
    return joined(lines);
  }),
);

/** How a counterexample is printed: its length and its ends as text, not every byte. */
function shown(value: Buffer): Buffer {
  const preview = (): string => {
    const text = value.toString('latin1');
    if (text.length <= 400) return JSON.stringify(text);
    return `${JSON.stringify(text.slice(0, 200))} … ${JSON.stringify(text.slice(-200))}`;
  };
  return Object.assign(value, { [fc.toStringMethod]: () => `<${value.length} bytes: ${preview()}>` });
}

/** A message, broken by up to three mutations in a row (none: it stays as Arkime wrote it). */
const broken = fc
  .tuple(message, fc.array(mutation, { maxLength: 3 }))
  .map(([value, mutations]) => shown(mutations.reduce((v, mutate) => mutate(v), value)));

// The oracle: what the message holds, worked out independently of the parser.

/** The lines with content, as the bytes between two '\n' (one '\r' before it is the line ending's). */
function contentLines(value: Buffer): Buffer[] {
  return parts(value)
    .map((line) => (line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line))
    .filter((line) => !/^[ \t]*$/.test(line.toString('latin1')));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function isValidUtf8(value: Buffer): boolean {
  try {
    utf8.decode(value);
    return true;
  } catch {
    return false;
  }
}

const structural: RejectReason[] = ['malformed_action', 'missing_document', 'malformed_document'];

/** What the parser must have refused a message for, when it can be told from the bytes alone. */
function expectedReason(value: Buffer): RejectReason | undefined {
  if (value.length > maxRequestBytes) return 'too_large';
  if (!isValidUtf8(value)) return 'invalid_utf8';
  if (contentLines(value).length === 0) return 'empty_message';
  return undefined;
}

/** The action line as JSON.parse reads it: the one action, its index and id, or a failed assertion. */
function assertAction(line: Buffer, item: ParsedMessage['items'][number]): void {
  const parsed = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), [item.action], 'an action line holds its action alone');
  const meta = parsed[item.action] as Record<string, unknown>;
  assert.ok(typeof meta === 'object' && meta !== null && !Array.isArray(meta));
  const id = meta['_id'];
  assert.equal(item.index, typeof meta['_index'] === 'string' ? meta['_index'] : undefined);
  assert.equal(item.id, typeof id === 'string' || typeof id === 'number' ? String(id) : undefined);
}

/** The body's lines, each of which must end in '\n'. */
function bodyLines(body: Buffer): Buffer[] {
  if (body.length === 0) return [];
  assert.equal(body[body.length - 1], newline, 'the body ends in a newline');
  return parts(body.subarray(0, -1));
}

function assertRefusedWhole(value: Buffer, parsed: ParsedMessage): void {
  assert.deepEqual([parsed.items.length, parsed.body.length, parsed.rejected.length], [0, 0, 1]);
  const [rejected] = parsed.rejected;
  assert.ok(rejected !== undefined);
  assert.ok(rejected.bytes.equals(value), 'the rejection carries the message as received');
  assert.ok(rejected.detail.length > 0, 'the rejection says why');
  const expected = expectedReason(value);
  if (expected !== undefined) assert.equal(rejected.reason, expected);
  else assert.ok(structural.includes(rejected.reason), rejected.reason);
  if (parsed.format === 'doc') assert.equal(rejected.reason, 'malformed_document');
}

/** Passed on: every line with content, in order and byte for byte, in items of well-formed actions. */
function assertPassedOn(value: Buffer, parsed: ParsedMessage): void {
  assert.equal(expectedReason(value), undefined, 'a message that had to be refused was passed on');
  const expected = contentLines(value);
  const sent = bodyLines(parsed.body);
  assert.equal(sent.length, expected.length, 'every line is in the body, and only those');
  sent.forEach((line, i) => assert.ok(line.equals(expected[i] as Buffer), `line ${i + 1} is unchanged`));
  // Nothing to mend (no blank line, no CR, a final newline): the very Buffer is sent, not a copy.
  if (parsed.body.equals(value)) assert.equal(parsed.body, value);
  let line = 0;
  let offset = 0;
  for (const item of parsed.items) {
    assert.equal(item.start, offset, 'items follow each other');
    const own = sent.slice(line, line + (item.action === 'delete' ? 1 : 2));
    assert.equal(own.length, item.action === 'delete' ? 1 : 2, 'an action other than delete has a document');
    assertAction(own[0] as Buffer, item);
    offset += own.reduce((n, l) => n + l.length + 1, 0);
    assert.equal(item.end, offset, 'an item is its action line and, unless a delete, the next line');
    line += own.length;
  }
  assert.equal(line, sent.length, 'the items hold every line');
}

/** A `doc` message, written anew: an action naming its "index" field, and the rest of the document. */
function assertDocWrittenAnew(value: Buffer, parsed: ParsedMessage): void {
  const { index, ...rest } = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
  const [action, document] = bodyLines(parsed.body);
  assert.deepEqual(JSON.parse(action?.toString('utf8') ?? ''), { index: { _index: index } });
  assert.deepEqual(JSON.parse(document?.toString('utf8') ?? ''), rest);
  assert.deepEqual(
    parsed.items.map((i) => [i.action, i.start, i.end, i.index, i.id]),
    [['index', 0, parsed.body.length, index, undefined]],
  );
}

const source = { topic: 'spi', topicId: '6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b', partition: 3, offset: 1234n };

/**
 * Derived ids change only the action lines of items without an id; documents stay as they are.
 * needsIds, noted while parsing, says whether there is any such item.
 */
function assertDerivedIdsKeepDocuments(parsed: ParsedMessage): void {
  const idless = parsed.items.some(
    (i) => i.id === undefined && (i.action === 'index' || i.action === 'create'),
  );
  assert.equal(parsed.needsIds, idless, 'needsIds says whether an index/create item has no id');
  const derived = withDerivedIds(parsed, source);
  assert.equal(derived.items.length, parsed.items.length);
  derived.items.forEach((item, i) => {
    const original = parsed.items[i] as ParsedMessage['items'][number];
    const rest = (p: ParsedMessage, it: typeof item): Buffer =>
      p.body.subarray(p.body.indexOf(newline, it.start) + 1, it.end);
    assert.ok(rest(derived, item).equals(rest(parsed, original)), `item ${i}: its document is unchanged`);
    const needsId = item.action === 'index' || item.action === 'create';
    assert.equal(item.id, original.id ?? (needsId ? arkimeId(original.index, source, i) : undefined));
  });
}

/** The invariant; true if the message was refused. */
function assertAccountedFor(value: Buffer): boolean {
  const parsed = parseMessage(value);
  if (parsed.rejected.length > 0) {
    assertRefusedWhole(value, parsed);
    return true;
  }
  if (parsed.format === 'doc') assertDocWrittenAnew(value, parsed);
  else assertPassedOn(value, parsed);
  assertDerivedIdsKeepDocuments(parsed);
  return false;
}

describe('parseMessage, property-based, on the real session corpus', () => {
  const runs = 100_000;

  test(`${runs} broken messages: never throws, every line is sent byte for byte or refused with a reason`, (t) => {
    let refused = 0;
    let sent = 0;
    fc.assert(
      fc.property(broken, (value) => {
        if (assertAccountedFor(value)) refused += 1;
        else sent += 1;
      }),
      { numRuns: runs },
    );
    // Both outcomes must be exercised, or the property says little.
    assert.equal(refused + sent, runs);
    assert.ok(refused > runs / 10 && sent > runs / 10, `refused ${refused}, sent ${sent}`);
    t.diagnostic(`${sent} sent, ${refused} refused`);
  });

  test('every message as Arkime writes it is passed on whole, one item per session, in order', () => {
    fc.assert(
      fc.property(
        fc.array(session, { minLength: 1, maxLength: 20 }),
        fc.constantFrom('bulk', 'bulk1', 'doc'),
        (picked, format) => {
          const chosen = picked.map((i) => sessions[i] as (typeof sessions)[number]);
          const messages = arkimeMessages(chosen, format, prefix, 8_000);
          const items = messages.flatMap((value) => {
            const parsed = parseMessage(value);
            assert.deepEqual(parsed.rejected, []);
            if (format !== 'doc') assert.equal(parsed.body, value, 'bytes in, bytes out');
            return parsed.items;
          });
          assert.deepEqual(
            items.map((i) => [i.action, i.index, i.id]),
            chosen.map((s) => ['index', indexFor(s, prefix), format === 'doc' ? undefined : s.id]),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  test('a message above the request limit is refused as too_large, one exactly at it is sent', () => {
    const pair = itemKinds.arkime[0] as Buffer;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), (above) => {
        const value = Buffer.alloc(maxRequestBytes + above, pair);
        const parsed = parseMessage(value);
        assert.equal(parsed.rejected[0]?.reason, 'too_large');
        assertRefusedWhole(value, parsed);
      }),
      { numRuns: 2 },
    );
    const pairs = Buffer.alloc(maxRequestBytes - (maxRequestBytes % pair.length) - pair.length, pair);
    const filler = maxRequestBytes - pairs.length - '{"index":{}}\n{"p":""}\n'.length;
    const value = Buffer.concat([pairs, bytes(`{"index":{}}\n{"p":"${'x'.repeat(filler)}"}\n`)]);
    assert.equal(value.length, maxRequestBytes);
    const parsed = parseMessage(value);
    assert.deepEqual(parsed.rejected, []);
    assert.equal(parsed.body, value);
    assert.equal(parsed.items.length, pairs.length / pair.length + 1);
  });
});

describe('what the property found: values that cannot be written anew unchanged are refused, not thrown or altered', () => {
  const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
  const refusal = (text: string): [string | undefined, string | undefined] => {
    const parsed = parseMessage(bytes(text));
    return [parsed.rejected[0]?.reason, parsed.rejected[0]?.detail];
  };

  test('a doc message nested 20,000 deep is refused (it threw RangeError out of the pipeline)', () => {
    const [reason, detail] = refusal(`{"index":"x","a":${nested(20_000)}}`);
    assert.equal(reason, 'malformed_document');
    assert.match(detail ?? '', /nested deeper than 1000 levels/);
  });

  test('a doc message nested exactly 1000 deep (the object and 999 arrays) is sent', () => {
    const parsed = parseMessage(bytes(`{"index":"x","a":${nested(999)}}`));
    assert.deepEqual(parsed.rejected, []);
    assert.equal(bodyLines(parsed.body)[1]?.toString(), `{"a":${nested(999)}}`);
  });

  test('an action line nested deeper than 1000 is malformed; at 1000, a derived id can still be written', () => {
    assert.equal(refusal(`{"index":{"_index":"x","n":${nested(5_000)}}}\n{}\n`)[0], 'malformed_action');
    const parsed = parseMessage(bytes(`{"index":{"_index":"x","n":${nested(998)}}}\n{}\n`));
    assert.deepEqual(parsed.rejected, []);
    assert.deepEqual(
      withDerivedIds(parsed, source).items.map((i) => i.id),
      [arkimeId('x', source, 0)],
    );
  });

  test('a doc message with a number beyond a double is refused (1e400 was sent as null)', () => {
    const [reason, detail] = refusal('{"index":"x","packetRange":{"gte":1e400,"lte":1}}');
    assert.equal(reason, 'malformed_document');
    assert.match(detail ?? '', /1e400 is beyond the range of a double/);
    assert.equal(refusal('{"index":"x","a":-1E+999}')[0], 'malformed_document');
  });

  test('a doc message with an integer above 2^53 - 1 is refused (it was sent rounded)', () => {
    const [reason, detail] = refusal('{"index":"x","bytes":9007199254740993}');
    assert.equal(reason, 'malformed_document');
    assert.match(detail ?? '', /9007199254740993 is above 2\^53 - 1/);
    const safe = parseMessage(bytes('{"index":"x","bytes":9007199254740991,"f":1.5e300,"g":-0.25}'));
    assert.deepEqual(safe.rejected, []);
    assert.equal(bodyLines(safe.body)[1]?.toString(), '{"bytes":9007199254740991,"f":1.5e+300,"g":-0.25}');
  });

  test('numbers and brackets inside strings are text, not refused', () => {
    const parsed = parseMessage(bytes(`{"index":"x","a":"1e400 9007199254740993 ${nested(2_000)} \\" ["}`));
    assert.deepEqual(parsed.rejected, []);
  });

  test('an action line with an _id above 2^53 (a snowflake id) is still sent as it is', () => {
    const value = bytes('{"index":{"_index":"x","_id":1460000000000000000123}}\n{}\n');
    const parsed = parseMessage(value);
    assert.deepEqual(parsed.rejected, []);
    assert.equal(parsed.body, value);
  });
});
