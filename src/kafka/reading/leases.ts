// The leases this member holds (records.ts `Lease`), one per partition it reads, kept by the
// consumer across fetchers. A lease begins when a partition is first read under a topic id, and
// ends when the partition is revoked, its topic is found created again (another id), or its log
// was truncated under it: then nothing fetched under it is handed on or committed.
import type { Assignment, Lease } from '../../records.js';

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class Leases {
  private readonly held = new Map<string, Lease>();
  /** Per topic, the id of the life read last: survives revocations, so that a new life is told apart. */
  private readonly topicIds = new Map<string, string>();

  /** The lease `partition` is read under, begun now when it has none. */
  claim(topic: string, partition: number, topicId: string): Lease {
    const k = key(topic, partition);
    const lease = this.held.get(k);
    if (lease !== undefined && lease.topicId === topicId) return lease;
    if (lease !== undefined) lease.ended = true;
    const begun: Lease = { topic, topicId, partition, ended: false };
    this.held.set(k, begun);
    return begun;
  }

  /** The lease held on the partition, if any. */
  of(topic: string, partition: number): Lease | undefined {
    return this.held.get(key(topic, partition));
  }

  /** Partitions taken away: their leases end. */
  release(partitions: readonly Assignment[]): void {
    for (const { topic, partition } of partitions) this.end(topic, partition);
  }

  /** Ends one partition's lease (its log was truncated under it): the next claim begins afresh. */
  end(topic: string, partition: number): void {
    const k = key(topic, partition);
    const lease = this.held.get(k);
    if (lease === undefined) return;
    lease.ended = true;
    this.held.delete(k);
  }

  /**
   * Notes the id the brokers give `topic` now. Returns the id it had before when this is another
   * life of it (deleted and created again), after ending every lease of the earlier one.
   */
  observe(topic: string, topicId: string): string | undefined {
    const before = this.topicIds.get(topic);
    this.topicIds.set(topic, topicId);
    if (before === undefined || before === topicId) return undefined;
    for (const lease of [...this.held.values()]) {
      if (lease.topic === topic && lease.topicId !== topicId) this.end(topic, lease.partition);
    }
    return before;
  }

  /** The topic's id as last seen, '' before metadata was read. */
  topicId(topic: string): string {
    return this.topicIds.get(topic) ?? '';
  }
}
