// Where each assigned partition is read from, decided after every join and assignment change,
// as the client's own stream decides it (the fetch loop, ./fetcher.ts, reads in its place):
//   - the group's committed offset, when there is one (so a rebalance rewinds to what is done:
//     messages handed out and not yet committed are read again, and the offset tracker skips
//     those it already has);
//   - else the position this member already reads the partition from (nothing was committed
//     yet; going back to the start, or to the end, would repeat or skip what it read);
//   - else the earliest or the latest offset, as KAFKA_CONSUMER_OFFSET_RESET says; such a start
//     is committed at once (the caller does), so that a partition quiet until its first message
//     is not read from a later "latest" after a restart, nor from a later "earliest" after
//     retention moved it without a word.
// A partition of a topic found created again starts by KAFKA_CONSUMER_OFFSET_RESET whatever the
// commits say: a commit may be the earlier life's.
import { ListOffsetTimestamps, type Consumer } from '@platformatic/kafka';
import type { Assignment } from '../../records.js';
import { topicPartitions } from './assignment.js';
import type { Committed, CommittedSource } from './committed.js';
import type { kafkaOffsetResets } from '../../config/schema.js';

/** Where a partition with nothing to go by is read from: KAFKA_CONSUMER_OFFSET_RESET. */
export type OffsetReset = (typeof kafkaOffsetResets)[number];

export interface Position extends Assignment {
  /** The next offset to fetch. */
  offset: bigint;
  /** The leader epoch of the last batch read from it (KIP-320); -1 before the first. */
  lastEpoch: number;
}

export function positionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

export interface Chosen {
  positions: Map<string, Position>;
  /** Those chosen by KAFKA_CONSUMER_OFFSET_RESET: to be committed. */
  started: Position[];
}

/** The rule above; `listed` is asked only for partitions with neither a commit nor a position. */
export function choosePositions(
  assigned: readonly Assignment[],
  committed: (a: Assignment) => Committed | undefined,
  current: ReadonlyMap<string, Position>,
  listed: (a: Assignment) => bigint | undefined,
): Chosen {
  const positions = new Map<string, Position>();
  const started: Position[] = [];
  for (const a of assigned) {
    const key = positionKey(a.topic, a.partition);
    const commit = committed(a);
    const known = current.get(key);
    const fromCommit = commit !== undefined && commit.offset >= 0n;
    const offset = fromCommit ? commit.offset : (known?.offset ?? listed(a));
    if (offset === undefined || offset < 0n) {
      throw new Error(`no offset to read topic ${a.topic} partition ${a.partition} from`);
    }
    // From a commit, the epoch it was committed under: the first fetch has the leader check that
    // its log still agrees up to there (KIP-320). The epoch of the last batch read belongs to where
    // reading got to, not to a commit before it.
    const lastEpoch = fromCommit ? commit.leaderEpoch : (known?.lastEpoch ?? -1);
    const position = { topic: a.topic, partition: a.partition, offset, lastEpoch };
    positions.set(key, position);
    if (!fromCommit && known === undefined) started.push(position);
  }
  return { positions, started };
}

/**
 * Asks the brokers for what `choosePositions` needs, and decides. `fresh`: keys of partitions
 * whose commit and position are not to be trusted (a topic created again): they start anew.
 */
export async function readPositions(
  sources: {
    committed: CommittedSource;
    group: Pick<Consumer<Buffer, Buffer, Buffer, Buffer>, 'listOffsets'>;
  },
  assigned: readonly Assignment[],
  current: ReadonlyMap<string, Position>,
  reset: OffsetReset,
  fresh: ReadonlySet<string> = new Set(),
): Promise<Chosen> {
  if (assigned.length === 0) return { positions: new Map(), started: [] };
  const consumer = sources.group;
  const commits = await sources.committed(assigned);
  const committed = (a: Assignment): Committed | undefined =>
    fresh.has(positionKey(a.topic, a.partition)) ? undefined : commits.get(a.topic)?.[a.partition];
  if (fresh.size > 0) current = new Map([...current].filter(([key]) => !fresh.has(key)));
  const unknown = assigned.filter((a) => {
    const commit = committed(a);
    return (commit === undefined || commit.offset < 0n) && !current.has(positionKey(a.topic, a.partition));
  });
  const listed =
    unknown.length === 0 ? new Map<string, bigint[]>() : await listOffsets(consumer, unknown, reset);
  return choosePositions(assigned, committed, current, (a) => listed.get(a.topic)?.[a.partition]);
}

/** The earliest (or latest) offset of each partition, as KAFKA_CONSUMER_OFFSET_RESET says. */
export function listOffsets(
  consumer: Pick<Consumer<Buffer, Buffer, Buffer, Buffer>, 'listOffsets'>,
  partitions: readonly Assignment[],
  reset: OffsetReset,
): Promise<Map<string, bigint[]>> {
  const byTopic = topicPartitions(partitions);
  return consumer.listOffsets({
    topics: byTopic.map((t) => t.topic),
    partitions: Object.fromEntries(byTopic.map((t) => [t.topic, t.partitions])),
    timestamp: reset === 'earliest' ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
  });
}
