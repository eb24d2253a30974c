// Consumer lag per topic and partition, asked from the brokers: log end offset minus the group's
// committed offset (or, for a partition without a commit, minus the log's start). The client's own
// getLag() counts from its stream's commits, which this indexer bypasses by committing itself.
import type { Consumer } from '@platformatic/kafka';
import type { PartitionLag } from '../../records.js';
import type { TopicPartitions } from './assignment.js';

/** What is asked of the client: the two offset listings. */
export type OffsetSource = Pick<
  Consumer<Buffer, Buffer, Buffer, Buffer>,
  'listOffsets' | 'listCommittedOffsets'
>;

/** The lag of every partition of `assigned`, whatever its topic; three requests at most. */
export async function partitionLag(client: OffsetSource, assigned: TopicPartitions): Promise<PartitionLag[]> {
  const owned = assigned
    .filter((a) => a.partitions.length > 0)
    .map((a) => ({ topic: a.topic, partitions: [...a.partitions] }));
  if (owned.length === 0) return [];
  const byTopic = (list: typeof owned): Record<string, number[]> =>
    Object.fromEntries(list.map((a) => [a.topic, a.partitions]));
  const [ends, committed] = await Promise.all([
    client.listOffsets({ topics: owned.map((a) => a.topic), partitions: byTopic(owned) }),
    client.listCommittedOffsets({ topics: owned }),
  ]);
  const uncommitted = owned
    .map((a) => ({
      topic: a.topic,
      partitions: a.partitions.filter((p) => (committed.get(a.topic)?.[p] ?? -1n) < 0n),
    }))
    .filter((a) => a.partitions.length > 0);
  const starts =
    uncommitted.length === 0
      ? undefined
      : await client.listOffsets({
          topics: uncommitted.map((a) => a.topic),
          partitions: byTopic(uncommitted),
          timestamp: -2n,
        });
  return owned.flatMap(({ topic, partitions }) =>
    partitions.map((partition) => {
      const end = ends.get(topic)?.[partition] ?? 0n;
      const from = committed.get(topic)?.[partition] ?? -1n;
      const start = from >= 0n ? from : (starts?.get(topic)?.[partition] ?? 0n);
      return { topic, partition, lag: end > start ? end - start : 0n };
    }),
  );
}
