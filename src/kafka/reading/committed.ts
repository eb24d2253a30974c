// The group's committed offsets with the leader epoch each was committed under (KIP-320), asked
// with our own OffsetFetch v8 from the group's coordinator: the client's listCommittedOffsets()
// drops the epochs. With the epoch, the first fetch from a commit carries it as its last fetched
// epoch, and a log truncated below the commit while the indexer was away (an unclean leader
// election) is answered with where it diverged, instead of its new messages up to the old
// commit being skipped. When our request fails (the coordinator moving), the client's answer is
// used, without epochs.
import { offsetFetchV8, type Consumer } from '@platformatic/kafka';
import type { Assignment } from '../../records.js';
import { topicPartitions } from './assignment.js';
import type { MetadataSource } from './topic-metadata.js';

export interface Committed {
  /** -1: nothing committed. */
  offset: bigint;
  /** -1: not known (committed without one, or read through the client). */
  leaderEpoch: number;
}

/** Per topic, per partition. */
export type CommittedSource = (partitions: readonly Assignment[]) => Promise<Map<string, Committed[]>>;

type Group = Pick<
  Consumer<Buffer, Buffer, Buffer, Buffer>,
  'findGroupCoordinator' | 'listCommittedOffsets'
> & {
  readonly groupId: string;
};

export function committedSource(
  group: Group,
  pool: { get: (broker: { host: string; port: number }) => Promise<unknown> },
  metadata: MetadataSource,
): CommittedSource {
  return async (partitions) => {
    const grouped = topicPartitions(partitions);
    const topics = grouped.map((t) => ({ name: t.topic, partitionIndexes: t.partitions }));
    try {
      const coordinator = await group.findGroupCoordinator();
      const broker = (await metadata([])).brokers.get(coordinator);
      if (broker === undefined)
        throw new Error(`the group coordinator ${coordinator} is not in the metadata`);
      const connection = await pool.get(broker);
      const response = await offsetFetchV8.api.async(
        connection as Parameters<typeof offsetFetchV8.api.async>[0],
        [{ groupId: group.groupId, memberId: null, memberEpoch: -1, topics }],
        false,
      );
      const committed = new Map<string, Committed[]>();
      for (const topic of response.groups[0]?.topics ?? []) {
        const list: Committed[] = [];
        for (const p of topic.partitions) {
          list[p.partitionIndex] = { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch };
        }
        committed.set(topic.name, list);
      }
      return committed;
    } catch {
      const offsets = await group.listCommittedOffsets({ topics: grouped });
      return new Map(
        [...offsets].map(([topic, list]) => [topic, list.map((offset) => ({ offset, leaderEpoch: -1 }))]),
      );
    }
  };
}
