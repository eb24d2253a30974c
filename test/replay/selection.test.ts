// What a failure record says of itself, which records a replay picks, and the _id a document
// without one gets: the same at every replay, and the one its place in its source message names.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { arkimeId, legacyId, withDerivedIds } from '../../src/bulk/derived-ids.js';
import { parseMessage } from '../../src/bulk/parse.js';
import type { TopicRecord } from '../../src/kafka/topic-reader.js';
import { allowList } from '../../src/pipeline/allow-list.js';
import {
  batchEntry,
  describeRecord,
  derivedIdOf,
  recordFilter,
  unknown,
} from '../../src/replay/selection.js';

const lines = '{"index":{"_index":"arkime_sessions3-250124"}}\n{"a":1}\n';

function record(headers: Record<string, string>, offset = 5n, value = lines): TopicRecord {
  return {
    partition: 1,
    offset,
    timestamp: 0,
    headers: new Map(Object.entries(headers)),
    value: Buffer.from(value),
  };
}

/** A record written by an indexer before failure records named the topic's id. */
const fromIndexer = {
  'aki.error.type': 'illegal_argument_exception',
  'aki.index': 'arkime_sessions3-250124',
  'aki.source.topic': 'spi',
  'aki.source.partition': '3',
  'aki.source.offset': '1200',
  'aki.source.position': '4',
};

/** The same, written since. */
const topicId = '6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b';
const fromIndexerNow = { ...fromIndexer, 'aki.source.topic-id': topicId };

const everything = allowList({
  elasticAllowedIndices: ['*'],
  elasticAllowedActions: ['index', 'create', 'update', 'delete'],
});

describe('replay selection', () => {
  test("a record's headers: error type, index, and where its document first came from", () => {
    const r = describeRecord(record(fromIndexer), 'spi-failed');
    assert.deepEqual(
      [r.errorType, r.index, r.source, r.position],
      [
        'illegal_argument_exception',
        'arkime_sessions3-250124',
        { topic: 'spi', topicId: '', partition: 3, offset: 1200n },
        4,
      ],
    );
    assert.deepEqual(describeRecord(record(fromIndexerNow), 'spi-failed').source, {
      topic: 'spi',
      topicId,
      partition: 3,
      offset: 1200n,
    });
  });

  test('a record not written by the indexer is its own source', () => {
    const r = describeRecord(record({}), 'spi-failed');
    assert.deepEqual(
      [r.errorType, r.index, r.source, r.position],
      [unknown, undefined, { topic: 'spi-failed', topicId: '', partition: 1, offset: 5n }, undefined],
    );
  });

  test('filters: error types, index patterns and source topics, all of them must hold', () => {
    const r = describeRecord(record(fromIndexer), 'spi-failed');
    const picks = (options: Partial<Parameters<typeof recordFilter>[0]>): boolean =>
      recordFilter({ types: [], indices: [], sourceTopics: [], ...options })(r);
    assert.equal(picks({}), true);
    assert.equal(picks({ types: ['illegal_argument_exception', 'x'] }), true);
    assert.equal(picks({ types: ['mapper_parsing_exception'] }), false);
    assert.equal(picks({ indices: ['arkime_sessions3-*'] }), true);
    assert.equal(picks({ indices: ['arkime_sessions3-2501'] }), false);
    assert.equal(picks({ sourceTopics: ['spi'] }), true);
    assert.equal(picks({ sourceTopics: ['spi'], types: ['x'] }), false);
    const noIndex = describeRecord(record({}), 'spi-failed');
    assert.equal(recordFilter({ types: [], indices: ['*'], sourceTopics: [] })(noIndex), false);
  });

  test('a document without an _id gets the one ELASTIC_DETERMINISTIC_IDS gives it in its source message', () => {
    const r = describeRecord(record(fromIndexerNow), 'spi-failed');
    const entry = batchEntry(r, everything);
    // The source message: five such documents, this one the fifth, read by the indexer.
    const message = { topic: 'spi', topicId, partition: 3, offset: 1200n };
    const source = withDerivedIds(parseMessage(Buffer.from(lines.repeat(5))), message);
    assert.equal(entry.parsed.items[0]?.id, source.items[4]?.id);
    assert.equal(entry.parsed.items[0]?.id, arkimeId('arkime_sessions3-250124', message, 4));
    assert.match(entry.parsed.items[0]?.id ?? '', /^250124-[A-Za-z0-9_-]{24}$/);
    assert.deepEqual(entry.message, message);
    // Replayed again: the same id, so it overwrites.
    assert.equal(
      batchEntry(describeRecord(record(fromIndexerNow), 'spi-failed'), everything).parsed.items[0]?.id,
      entry.parsed.items[0]?.id,
    );
  });

  test('a record of a recreated topic does not take the id of the same place in its earlier life', () => {
    const earlier = batchEntry(describeRecord(record(fromIndexerNow), 'spi-failed'), everything);
    const later = batchEntry(
      describeRecord(
        record({ ...fromIndexerNow, 'aki.source.topic-id': 'd3c2b1a0-f9e8-4d7c-a6b5-c4d3e2f1a0b9' }),
        'spi-failed',
      ),
      everything,
    );
    assert.notEqual(later.parsed.items[0]?.id, earlier.parsed.items[0]?.id);
  });

  test('a record written before the topic id was recorded keeps the id earlier replays gave it', () => {
    const r = describeRecord(record(fromIndexer), 'spi-failed');
    const entry = batchEntry(r, everything);
    // What an earlier version's replay indexed it under: replaying it again overwrites that.
    assert.equal(entry.parsed.items[0]?.id, 'spi:3:1200:4');
    const { shape } = derivedIdOf(r);
    assert.equal(shape, legacyId);
    assert.deepEqual(entry.message, { topic: 'spi', topicId: '', partition: 3, offset: 1200n });
  });

  test('a document with an _id keeps it, its lines sent as they are', () => {
    const withId = '{"index":{"_index":"arkime_sessions3-250124", "_id": "250124-abc"}}\n{"a":1}\n';
    const r = describeRecord(record(fromIndexer, 5n, withId), 'spi-failed');
    const entry = batchEntry(r, everything);
    assert.equal(entry.parsed.body.toString(), withId);
    assert.equal(entry.parsed.items[0]?.id, '250124-abc');
  });

  test('a record without a position takes its id from its own place on the failure topic, whatever the order read', () => {
    const older: Record<string, string> = { ...fromIndexer };
    delete older['aki.source.position'];
    // Two documents of one source message, on the failure topic at offsets 1 and 2 of partition 1.
    const a = describeRecord(record(older, 1n), 'spi-failed');
    const b = describeRecord(record(older, 2n), 'spi-failed');
    const idOf = (r: typeof a): string | undefined => batchEntry(r, everything).parsed.items[0]?.id;
    const inOrder = [idOf(a), idOf(b)];
    const reversed = [idOf(b), idOf(a)].reverse();
    assert.deepEqual(inOrder, ['spi-failed:1:1:0', 'spi-failed:1:2:0']);
    assert.deepEqual(reversed, inOrder, 'read in another order, the same ids');
    // Refused again, it keeps its original source for the headers.
    assert.deepEqual(batchEntry(a, everything).message, {
      topic: 'spi',
      topicId: '',
      partition: 3,
      offset: 1200n,
    });
  });

  test('a record not written by the indexer: its own place, as before', () => {
    const r = describeRecord(record({}, 9n), 'spi-failed');
    assert.deepEqual(derivedIdOf(r), {
      source: { topic: 'spi-failed', topicId: '', partition: 1, offset: 9n },
      position: 0,
      shape: legacyId,
    });
  });

  test('the allow-list applies to replayed documents as to any message', () => {
    const r = describeRecord(record(fromIndexer), 'spi-failed');
    const narrow = allowList({ elasticAllowedIndices: ['other-*'], elasticAllowedActions: ['index'] });
    const entry = batchEntry(r, narrow);
    assert.deepEqual(entry.parsed.items, []);
    assert.equal(entry.parsed.rejected[0]?.reason, 'not_allowed');
  });
});
