// Which partitions the next fetches ask for, of which leader, and in what order: the fetcher's
// decision apart from its doing, so that it is tested without a broker.
import type { PartitionFetch } from './fetch-request.js';
import type { Position } from './positions.js';
import type { ClusterView } from './topic-metadata.js';

export interface PlanState {
  now: number;
  /** Partitions whose new offset is being asked (out of range). */
  resetting: ReadonlySet<string>;
  /** Partitions holding a batch that cannot be read, until when they wait. */
  stalled: ReadonlyMap<string, number>;
  /** Per partition, when it last brought data (a count of answers). */
  lastServed: ReadonlyMap<string, number>;
  /** Whether `leader` may be asked now (no fetch in flight to it, not paused). */
  mayAsk: (leader: number) => boolean;
}

export interface FetchPlan {
  byLeader: Map<number, PartitionFetch[]>;
  /** A partition has no leader now (being elected, or new): the metadata is to be read again. */
  stale: boolean;
  /** The earliest moment a partition held back may be asked again. */
  wakeAt: number | undefined;
}

export function planFetches(
  positions: ReadonlyMap<string, Position>,
  view: ClusterView,
  state: PlanState,
): FetchPlan {
  const plan: FetchPlan = { byLeader: new Map(), stale: false, wakeAt: undefined };
  const wakeAt = (at: number): void => {
    if (plan.wakeAt === undefined || at < plan.wakeAt) plan.wakeAt = at;
  };
  // Partitions that brought data last are asked last: the broker fills a response partition by
  // partition in the order asked, and without a fetch session (which would rotate them) the
  // first could otherwise take every response while the others fall behind, towards retention.
  const order = [...positions].sort(
    ([a], [b]) => (state.lastServed.get(a) ?? 0) - (state.lastServed.get(b) ?? 0),
  );
  for (const [key, position] of order) {
    if (state.resetting.has(key)) continue;
    const stalledUntil = state.stalled.get(key) ?? 0;
    if (stalledUntil > state.now) {
      wakeAt(stalledUntil);
      continue;
    }
    // A missing topic is left alone: the subscription takes it out of the group.
    const topic = view.topics.get(position.topic);
    if (topic === undefined) continue;
    const partition = topic.partitions[position.partition];
    if (partition === undefined || partition.leader < 0) {
      plan.stale = true;
      continue;
    }
    if (!state.mayAsk(partition.leader)) continue;
    let list = plan.byLeader.get(partition.leader);
    if (list === undefined) plan.byLeader.set(partition.leader, (list = []));
    list.push({
      topic: position.topic,
      topicId: topic.id,
      partition: position.partition,
      fetchOffset: position.offset,
      leaderEpoch: partition.leaderEpoch,
      lastFetchedEpoch: position.lastEpoch,
    });
  }
  return plan;
}
