// The _id a document without one gets: Arkime's own shape (the index's period, then a hash of where
// the document came from), read by Arkime's viewer as it reads capture's ids; the same for the
// same place, another for another place or another life of the topic; and only action lines of
// items without an id are written anew.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { arkimeId, indexPeriod, legacyId, withDerivedIds } from '../../src/bulk/derived-ids.js';
import type { ParsedMessage } from '../../src/bulk/items.js';
import { parseMessage } from '../../src/bulk/parse.js';
import type { SourcePosition } from '../../src/records.js';
import { arkimeMessages, bulkLines, readSessions } from '../../stack/arkime.js';

const sessions = readSessions();
const [one, two, three] = sessions as [(typeof sessions)[0], (typeof sessions)[0], (typeof sessions)[0]];
const text = (buffer: Buffer): string => buffer.toString('utf8');
const itemTexts = (parsed: ParsedMessage): string[] =>
  parsed.items.map((item) => text(parsed.body.subarray(item.start, item.end)));

const source: SourcePosition = {
  topic: 'spi',
  topicId: '6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b',
  partition: 2,
  offset: 41n,
};
const daily = 'arkime_sessions3-261122';

/**
 * What Arkime's viewer (viewer/db.js) does with a session's index and `_id` to open it again:
 * session2Sid, then sid2Index and sid2Id, for a viewer whose prefix is `arkime_`. Written from
 * its source, so that the ids are checked against its rules, not against ours.
 */
function viewerOpens(index: string, id: string): { index: string; id: string } {
  const prefix = 'arkime_';
  const version = index.includes('sessions2') ? '2' : '3';
  const sid = id.length < 31 ? `${version}@${index.substring(prefix.length + 10)}:${id}` : `${version}@${id}`;
  const rest = sid.substring(2);
  const colon = rest.indexOf(':');
  const period = colon > 0 ? rest.substring(0, colon) : rest.substring(0, rest.indexOf('-'));
  return { index: `${prefix}sessions${sid[0]}-${period}`, id: colon > 0 ? rest.substring(colon + 1) : rest };
}

describe("derived ids: Arkime's shape", () => {
  test('the period of every kind of Arkime index: daily, hourly, weekly, monthly, sessions2', () => {
    const cases: [string, string | undefined][] = [
      ['arkime_sessions3-261122', '261122'],
      ['sessions3-261122', '261122'],
      ['arkime_sessions3-261122h05', '261122h05'],
      ['arkime_sessions3-26w47', '26w47'],
      ['arkime_sessions3-26m11', '26m11'],
      ['sessions2-190301', '190301'],
      ['arkime_sessions3-261122-shrink', '261122'],
      ['arkime_sessions3-261122-reindex', '261122'],
      ['arkime_sessions3-2611', undefined],
      ['arkime_sessions3-261122h5', undefined],
      ['arkime_sessions3-261122x', undefined],
      ['logs-2026.11.22', undefined],
      ['mf_test-261122', undefined],
      ['arkime_fields', undefined],
      ['', undefined],
    ];
    for (const [index, period] of cases) assert.equal(indexPeriod(index), period, index);
    assert.equal(indexPeriod(undefined), undefined);
  });

  test("a daily index: <YYMMDD>-<24 base64url characters>, 31 in all, as capture's ids in the corpus", () => {
    const id = arkimeId(daily, source, 0);
    assert.match(id, /^261122-[A-Za-z0-9_-]{24}$/);
    assert.equal(id.length, 31);
    // The same shape as every session id of Arkime's own capture in the fixtures.
    for (const s of sessions.slice(0, 20)) {
      assert.equal(s.id.length, id.length);
      assert.equal(s.id.split('-')[0], indexPeriod(s.index));
    }
  });

  test('the viewer opens each kind: the index it looks in is the one written to, the id the one given', () => {
    for (const index of [
      daily,
      'arkime_sessions3-261122h05',
      'arkime_sessions3-26w47',
      'arkime_sessions3-26m11',
      'arkime_sessions2-190301',
    ]) {
      const id = arkimeId(index, source, 3);
      assert.deepEqual(viewerOpens(index, id), { index, id }, index);
    }
    // The earlier shape, from a long topic name, sends the viewer elsewhere.
    const old = legacyId(daily, { ...source, topic: 'arkime-sessions-site-alpha' }, 0);
    assert.notEqual(viewerOpens(daily, old).index, daily);
  });

  test('an index that is not Arkime\'s: the hash alone, under 31 characters and without ":"', () => {
    for (const index of [undefined, 'logs-2026.11.22', 'arkime_sessions3-custom']) {
      const id = arkimeId(index, source, 0);
      assert.match(id, /^[A-Za-z0-9_-]{24}$/);
    }
    // Under 31 the viewer takes the index from the document itself: it opens whatever the suffix.
    const id = arkimeId('arkime_sessions3-custom', source, 0);
    assert.deepEqual(viewerOpens('arkime_sessions3-custom', id), { index: 'arkime_sessions3-custom', id });
  });

  test('the same place gives the same id; another topic id, topic, partition, offset or position another', () => {
    const id = arkimeId(daily, source, 1);
    assert.equal(arkimeId(daily, { ...source }, 1), id);
    const others = [
      arkimeId(daily, { ...source, topicId: '00000000-0000-4000-8000-000000000000' }, 1),
      arkimeId(daily, { ...source, topic: 'spi2' }, 1),
      arkimeId(daily, { ...source, partition: 3 }, 1),
      arkimeId(daily, { ...source, offset: 42n }, 1),
      arkimeId(daily, source, 2),
    ];
    assert.equal(new Set([id, ...others]).size, others.length + 1);
    // The period comes from the index alone; the hash does not.
    assert.equal(arkimeId('arkime_sessions3-261123', source, 1).slice(7), id.slice(7));
  });

  test("a recreated topic's offset 0 does not take the id of its earlier life's offset 0", () => {
    const earlier = {
      topic: 'spi',
      topicId: '0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d',
      partition: 0,
      offset: 0n,
    };
    const recreated = { ...earlier, topicId: 'd3c2b1a0-f9e8-4d7c-a6b5-c4d3e2f1a0b9' };
    assert.notEqual(arkimeId(daily, recreated, 0), arkimeId(daily, earlier, 0));
  });

  test('property: any place gives one well-formed id, always the same, different for different places', () => {
    const place = fc.record({
      topic: fc.stringMatching(/^[a-zA-Z0-9._-]{1,40}$/),
      topicId: fc.oneof(fc.constant(''), fc.uuid()),
      partition: fc.nat({ max: 10_000 }),
      offset: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
    });
    const period = fc.oneof(
      fc.constant('261122'),
      fc.constant('261122h05'),
      fc.constant('26w47'),
      fc.constant('26m11'),
    );
    fc.assert(
      fc.property(place, place, fc.nat({ max: 100_000 }), period, (a, b, position, p) => {
        const index = `arkime_sessions3-${p}`;
        const id = arkimeId(index, a, position);
        assert.equal(arkimeId(index, { ...a }, position), id);
        assert.match(id, new RegExp(`^${p}-[A-Za-z0-9_-]{24}$`));
        assert.deepEqual(viewerOpens(index, id), { index, id });
        const same =
          a.topic === b.topic &&
          a.topicId === b.topicId &&
          a.partition === b.partition &&
          a.offset === b.offset;
        assert.equal(arkimeId(index, b, position) === id, same);
      }),
      { numRuns: 500 },
    );
  });
});

describe('derived ids in a message', () => {
  const noId = (session: typeof one, index = daily): string =>
    `{"index":{"_index":"${index}"}}\n${JSON.stringify(session.doc)}\n`;
  const pair = (session: typeof one): string => bulkLines(session, daily);

  test('index items without _id get one; the rest, and every document line, stay byte for byte', () => {
    const value = Buffer.from(
      noId(one) + pair(two) + '{"delete":{"_index":"x","_id":"gone"}}\n' + noId(three),
    );
    const parsed = withDerivedIds(parseMessage(value), source);
    const ids = [arkimeId(daily, source, 0), two.id, 'gone', arkimeId(daily, source, 3)];
    assert.deepEqual(
      parsed.items.map((i) => i.id),
      ids,
    );
    const texts = itemTexts(parsed);
    assert.equal(texts[0], `{"index":{"_index":"${daily}","_id":"${ids[0]}"}}\n${JSON.stringify(one.doc)}\n`);
    assert.equal(texts[1], pair(two));
    assert.equal(texts[2], '{"delete":{"_index":"x","_id":"gone"}}\n');
    assert.equal(texts[3]?.split('\n')[1], JSON.stringify(three.doc));
    let at = 0;
    for (const item of parsed.items) {
      assert.equal(item.start, at);
      at = item.end;
    }
    assert.equal(at, parsed.body.length);
  });

  test('create items get one too; update items (which need their own) do not', () => {
    const value = Buffer.from(
      `{"create":{"_index":"${daily}"}}\n{"a":1}\n{"update":{"_index":"x"}}\n{"doc":{}}\n`,
    );
    const parsed = parseMessage(value);
    assert.equal(parsed.needsIds, true);
    assert.deepEqual(
      withDerivedIds(parsed, source).items.map((i) => i.id),
      [arkimeId(daily, source, 0), undefined],
    );
    assert.equal(parseMessage(Buffer.from('{"update":{"_index":"x"}}\n{"doc":{}}\n')).needsIds, false);
  });

  test('the same message at the same place gets the same ids: reading it again overwrites', () => {
    const value = Buffer.from(noId(one) + noId(two));
    const first = withDerivedIds(parseMessage(value), source);
    const again = withDerivedIds(parseMessage(Buffer.from(value)), { ...source });
    assert.deepEqual(again.body, first.body);
    const elsewhere = withDerivedIds(parseMessage(Buffer.from(value)), { ...source, offset: 42n });
    assert.notDeepEqual(elsewhere.body, first.body);
  });

  test('a message whose items all carry ids (bulk, bulk1 from capture) is returned as it is', () => {
    for (const format of ['bulk', 'bulk1'] as const) {
      const [value] = arkimeMessages(sessions.slice(0, 10), format, 'arkime_sessions3');
      const parsed = parseMessage(value);
      assert.equal(parsed.needsIds, false, format);
      assert.equal(withDerivedIds(parsed, source), parsed, format);
    }
  });

  test('a doc message gets one in the shape of its index, as the viewer opens it', () => {
    const [value] = arkimeMessages([one], 'doc', 'arkime_sessions3');
    const parsed = parseMessage(value);
    assert.equal(parsed.needsIds, true);
    const derived = withDerivedIds(parsed, source);
    const index = parsed.items[0]?.index ?? '';
    const id = arkimeId(index, source, 0);
    assert.match(id, /^\d{6}-[A-Za-z0-9_-]{24}$/);
    assert.deepEqual(
      derived.items.map((i) => i.id),
      [id],
    );
    assert.equal(derived.needsIds, false);
    assert.equal(text(derived.body).split('\n')[0], JSON.stringify({ index: { _index: index, _id: id } }));
  });

  test('a replayed item at position n of its source message gets what that item got there', () => {
    const whole = withDerivedIds(parseMessage(Buffer.from(noId(one) + noId(two) + noId(three))), source);
    const third = withDerivedIds(parseMessage(Buffer.from(noId(three))), source, 2);
    assert.equal(third.items[0]?.id, whole.items[2]?.id);
    const legacy = withDerivedIds(parseMessage(Buffer.from(noId(three))), source, 2, legacyId);
    assert.equal(legacy.items[0]?.id, 'spi:2:41:2');
  });
});
