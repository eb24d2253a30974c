import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  commitHistory,
  groupPartition,
  javaHashCode,
  parseOffsetCommit,
  positionsMovedBack,
  type OffsetCommitRecord,
} from '../../stack/consumer-offsets.js';

/** A Kafka STRING: int16 length, then UTF-8. */
function kafkaString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(2);
  length.writeInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function offsetKey(version: number, group: string, topic: string, partition: number): Buffer {
  const head = Buffer.alloc(2);
  head.writeInt16BE(version);
  const tail = Buffer.alloc(4);
  tail.writeInt32BE(partition);
  return Buffer.concat([head, kafkaString(group), kafkaString(topic), tail]);
}

/** OffsetCommitValue v3 as the broker writes it: offset, leader epoch, metadata, commit time. */
function offsetValue(offset: bigint): Buffer {
  const value = Buffer.alloc(2 + 8 + 4);
  value.writeInt16BE(3, 0);
  value.writeBigInt64BE(offset, 2);
  value.writeInt32BE(7, 10);
  const time = Buffer.alloc(8);
  time.writeBigInt64BE(1_765_000_000_000n);
  return Buffer.concat([value, kafkaString(''), time]);
}

test('an offset commit record is read from its key and value bytes, in key versions 0 and 1', () => {
  assert.deepEqual(parseOffsetCommit(offsetKey(1, 'indexer-ü', 'spi', 3), offsetValue(1234567890123n)), {
    group: 'indexer-ü',
    topic: 'spi',
    partition: 3,
    offset: 1234567890123n,
  });
  assert.deepEqual(parseOffsetCommit(offsetKey(0, 'g', 't', 0), offsetValue(0n))?.offset, 0n);
});

test('a null value is a tombstone; group metadata and KIP-848 records are not offset commits', () => {
  assert.deepEqual(parseOffsetCommit(offsetKey(1, 'g', 'gone', 1), null), {
    group: 'g',
    topic: 'gone',
    partition: 1,
    offset: null,
  });
  const groupMetadata = Buffer.concat([Buffer.from([0, 2]), kafkaString('g')]);
  assert.equal(parseOffsetCommit(groupMetadata, Buffer.from([0, 3, 1, 2])), undefined);
  assert.equal(parseOffsetCommit(Buffer.from([0, 5, 0, 0]), Buffer.from([0, 0])), undefined);
  assert.equal(parseOffsetCommit(null, null), undefined);
});

test("a group's partition of __consumer_offsets is Java's abs(hashCode) modulo the count", () => {
  // Values of java.lang.String#hashCode, from jshell.
  assert.equal(javaHashCode(''), 0);
  assert.equal(javaHashCode('hello'), 99162322);
  assert.equal(javaHashCode('arkime-kafka-indexer'), -1195621070);
  assert.equal(groupPartition('arkime-kafka-indexer', 50), 1195621070 % 50);
  // "polygenelubricants" hashes to Integer.MIN_VALUE, which Kafka's Utils.abs maps to 0.
  assert.equal(javaHashCode('polygenelubricants'), -2147483648);
  assert.equal(groupPartition('polygenelubricants', 10), 0);
});

test('positions that moved back are found per partition; a tombstone starts a partition afresh', () => {
  const records: OffsetCommitRecord[] = [
    { group: 'g', topic: 'a', partition: 0, offset: 10n },
    { group: 'other', topic: 'a', partition: 0, offset: 1n },
    { group: 'g', topic: 'a', partition: 1, offset: 5n },
    { group: 'g', topic: 'a', partition: 0, offset: 20n },
    { group: 'g', topic: 'a', partition: 0, offset: 20n },
    { group: 'g', topic: 'a', partition: 0, offset: 15n },
    { group: 'g', topic: 'a', partition: 1, offset: null },
    { group: 'g', topic: 'a', partition: 1, offset: 0n },
    { group: 'g', topic: 'a:b', partition: 2, offset: 9n },
    { group: 'g', topic: 'a:b', partition: 2, offset: 8n },
  ];
  const history = commitHistory(records, 'g');
  assert.deepEqual(history.get('a:0'), [10n, 20n, 20n, 15n]);
  assert.deepEqual(history.get('a:1'), [5n, null, 0n]);
  assert.deepEqual(positionsMovedBack(history), [
    { topic: 'a', partition: 0, from: 20n, to: 15n },
    { topic: 'a:b', partition: 2, from: 9n, to: 8n },
  ]);
});
