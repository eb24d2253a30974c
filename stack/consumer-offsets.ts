// What a consumer group committed, in the order the broker wrote it: the records of Kafka's
// internal topic `__consumer_offsets`. The group's own view (OffsetFetch) shows only the latest
// commit of each partition; a commit that moved a position back and was then overtaken leaves a
// trace only here. The conformance suite reads it after every case and asserts that no position
// moved back (a position moved back means messages indexed twice, or a commit raced another).
//
// Record layout (kafka's GroupCoordinatorRecordSerde; stable since 0.9):
//   key   int16 version (0 or 1: an offset commit; 2: group metadata; 3 and up: KIP-848 records),
//         string group, string topic, int32 partition (each string an int16 length and UTF-8);
//   value int16 version, int64 offset, then fields we do not need; null: a tombstone, written
//         when the offset is deleted (the topic deleted, the group's offsets expired or removed).
import { partitionCount, readPartition } from './partition-reader.js';

export const consumerOffsetsTopic = '__consumer_offsets';

/** One offset commit record: `offset` null for a tombstone. */
export interface OffsetCommitRecord {
  group: string;
  topic: string;
  partition: number;
  offset: bigint | null;
}

/** The offset commit a record of `__consumer_offsets` holds; undefined for every other record type. */
export function parseOffsetCommit(key: Buffer | null, value: Buffer | null): OffsetCommitRecord | undefined {
  if (key === null || key.length < 2) return undefined;
  const version = key.readInt16BE(0);
  if (version !== 0 && version !== 1) return undefined;
  let at = 2;
  const string = (): string => {
    const length = key.readInt16BE(at);
    const text = key.toString('utf8', at + 2, at + 2 + length);
    at += 2 + length;
    return text;
  };
  const group = string();
  const topic = string();
  const partition = key.readInt32BE(at);
  // The offset follows the value's version in every version (0 to 4) of OffsetCommitValue.
  const offset = value === null || value.length === 0 ? null : value.readBigInt64BE(2);
  return { group, topic, partition, offset };
}

/** Java's String.hashCode: the broker picks a group's partition of `__consumer_offsets` with it. */
export function javaHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/** The partition of `__consumer_offsets` that holds `group` (Kafka's Utils.abs(hashCode) % count). */
export function groupPartition(group: string, partitions: number): number {
  const hash = javaHashCode(group);
  return (hash === -2147483648 ? 0 : Math.abs(hash)) % partitions;
}

/** `topic:partition` → the group's commits of it, in log order; null for a tombstone. */
export type CommitHistory = Map<string, (bigint | null)[]>;

export const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

/** Groups one group's commit records by topic and partition, keeping their order. */
export function commitHistory(records: Iterable<OffsetCommitRecord>, group: string): CommitHistory {
  const history: CommitHistory = new Map();
  for (const record of records) {
    if (record.group !== group) continue;
    const key = partitionKey(record.topic, record.partition);
    const list = history.get(key) ?? [];
    list.push(record.offset);
    history.set(key, list);
  }
  return history;
}

export interface MovedBack {
  topic: string;
  partition: number;
  from: bigint;
  to: bigint;
}

/**
 * Every commit lower than the commit before it of the same partition. A tombstone starts the
 * partition's history afresh: its topic was deleted, and a topic of the same name starts again at 0.
 */
export function positionsMovedBack(history: CommitHistory): MovedBack[] {
  const moved: MovedBack[] = [];
  for (const [key, offsets] of history) {
    const cut = key.lastIndexOf(':');
    const [topic, partition] = [key.slice(0, cut), Number(key.slice(cut + 1))];
    let previous: bigint | null = null;
    for (const offset of offsets) {
      if (offset !== null && previous !== null && offset < previous)
        moved.push({ topic, partition, from: previous, to: offset });
      previous = offset;
    }
  }
  return moved;
}

/**
 * Reads, from its first offset to its end, the partition of `__consumer_offsets` that holds
 * `group`, and returns the group's commits.
 */
export async function readCommitHistory(bootstrap: string, group: string): Promise<CommitHistory> {
  const partitions = await partitionCount(bootstrap, consumerOffsetsTopic);
  const records = await readPartition(bootstrap, consumerOffsetsTopic, groupPartition(group, partitions));
  const commits = records.map((r) => parseOffsetCommit(r.key, r.value)).filter((c) => c !== undefined);
  return commitHistory(commits, group);
}
