// Which offsets may be committed. A message is done when every document in it is acknowledged by
// the search cluster or durably on the failure topic; batches finish out of order, so per
// partition only the offset below which *everything* is done may be committed (Kafka's committed
// offset is the next one to read).
//
// Each partition is tracked under the lease its messages were fetched under (records.ts): a
// partition revoked, or a topic found created again, ends the lease, and nothing fetched under it
// is taken, completed or committed any more. A message of an ended lease still in a chunk being
// taken, or in a batch still in flight, can then neither commit past a message another member
// holds, nor mark an offset of the topic's next life done.

import type { CommitPosition, ConsumedMessage, Lease, PartitionBehind, ReadUpTo } from '../records.js';

class PartitionOffsets {
  // Offsets not yet committable, in the order received, which is ascending: a completed offset
  // is found by binary search. Two parallel arrays, not an object per message: the entries live
  // as long as their batch, long enough to be promoted and cost garbage collection.
  private offsets: bigint[] = [];
  private done: boolean[] = [];
  /** Each message's record time (ms; -1 none), for how far behind the oldest one not done is. */
  private timestamps: number[] = [];
  private head = 0;
  /** Next offset to read once everything before it is done; undefined until a message completes. */
  next: bigint | undefined;
  committed: bigint | undefined;

  private highestReceived: bigint | undefined;
  /** Read up to here, offsets without a message included: where `next` goes once all before it is done. */
  private readTo: bigint | undefined;
  /** The leader epoch of what was read last (KIP-320), committed with the position; -1: not known. */
  leaderEpoch = -1;
  /** The last message's time was the broker's (LogAppendTime), not its producer's. */
  logAppendTime = false;

  constructor(readonly lease: Lease) {}

  received(offset: bigint, timestamp: number, logAppendTime: boolean): boolean {
    // After a rebalance the fetcher reads again from the last commit, handing out messages that
    // are already here (in flight or done). The first copy is the one tracked; tracking the
    // second too would leave a pending entry that never completes and stall the partition.
    if (this.highestReceived !== undefined && offset <= this.highestReceived) return false;
    this.highestReceived = offset;
    this.offsets.push(offset);
    this.done.push(false);
    this.timestamps.push(timestamp);
    this.logAppendTime = logAppendTime;
    return true;
  }

  /** Offsets below `offset` that brought no message (markers, aborted or compacted records) are done too. */
  readUpTo(offset: bigint, leaderEpoch: number): void {
    if (leaderEpoch >= 0) this.leaderEpoch = leaderEpoch;
    if (this.readTo !== undefined && offset <= this.readTo) return;
    this.readTo = offset;
    if (this.highestReceived === undefined || offset - 1n > this.highestReceived)
      this.highestReceived = offset - 1n;
    this.passEmpty();
  }

  completed(offset: bigint): void {
    const at = this.find(offset);
    if (at === -1) return;
    this.done[at] = true;
    while (this.head < this.offsets.length && this.done[this.head] === true) {
      this.next = (this.offsets[this.head] as bigint) + 1n;
      this.head += 1;
    }
    this.passEmpty();
    if (this.head > 1024 && this.head * 2 > this.offsets.length) {
      this.offsets = this.offsets.slice(this.head);
      this.done = this.done.slice(this.head);
      this.timestamps = this.timestamps.slice(this.head);
      this.head = 0;
    }
  }

  /** The time of the oldest message taken and not done: undefined when none waits, -1 when it has no time. */
  get oldestWaiting(): number | undefined {
    return this.head < this.offsets.length ? this.timestamps[this.head] : undefined;
  }

  /** With nothing pending, the position moves to where reading got to, past offsets without messages. */
  private passEmpty(): void {
    if (this.head < this.offsets.length || this.readTo === undefined) return;
    if (this.next === undefined || this.readTo > this.next) this.next = this.readTo;
  }

  private find(offset: bigint): number {
    let [low, high] = [this.head, this.offsets.length - 1];
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = this.offsets[middle] as bigint;
      if (found === offset) return middle;
      if (found < offset) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }
}

export class OffsetTracker {
  // topic → partition → offsets: no key string is built per message.
  private readonly topics = new Map<string, Map<number, PartitionOffsets>>();

  /** The partition's offsets under `lease`, begun afresh when the lease is new; undefined once it ended. */
  private underLease(lease: Lease): PartitionOffsets | undefined {
    if (lease.ended) return undefined;
    let partitions = this.topics.get(lease.topic);
    if (partitions === undefined)
      this.topics.set(lease.topic, (partitions = new Map<number, PartitionOffsets>()));
    let offsets = partitions.get(lease.partition);
    if (offsets?.lease !== lease) partitions.set(lease.partition, (offsets = new PartitionOffsets(lease)));
    return offsets;
  }

  private current(lease: Lease): PartitionOffsets | undefined {
    const offsets = this.topics.get(lease.topic)?.get(lease.partition);
    return offsets?.lease === lease && !lease.ended ? offsets : undefined;
  }

  /**
   * Call in fetch order for every message taken from Kafka. False for a copy of a message already
   * taken under the same lease (the first copy is tracked and will be done, so the copy need not
   * be indexed again), and for a message of an ended lease (the partition is no longer this
   * member's to read, or it is a topic's earlier life).
   */
  received(message: ConsumedMessage): boolean {
    return (
      this.underLease(message.lease)?.received(message.offset, message.timestamp, message.logAppendTime) ??
      false
    );
  }

  /** The chunk's messages before `offset` are taken: offsets among them without a message count as done. */
  readUpTo({ lease, offset, leaderEpoch }: ReadUpTo): void {
    this.underLease(lease)?.readUpTo(offset, leaderEpoch);
  }

  /** A message taken is done; one without a lease (not the consumer's) or of an ended lease changes nothing. */
  completed(message: { readonly lease?: Lease; readonly offset: bigint }): void {
    if (message.lease !== undefined) this.current(message.lease)?.completed(message.offset);
  }

  /** Positions that moved since the last `markCommitted`, of leases still held. */
  committable(): CommitPosition[] {
    const positions: CommitPosition[] = [];
    for (const [topic, partitions] of this.topics) {
      for (const [partition, offsets] of partitions) {
        if (offsets.lease.ended) {
          partitions.delete(partition);
          continue;
        }
        if (offsets.next !== undefined && offsets.next !== offsets.committed) {
          const { next: offset, leaderEpoch, lease } = offsets;
          positions.push({ topic, partition, offset, leaderEpoch, lease });
        }
      }
    }
    return positions;
  }

  /**
   * How far behind each partition read under a live lease is at `nowMs`: the age of its oldest
   * message taken and not yet done (indexed, or durably on the failure topic), 0 when none waits,
   * null when that message carries no time.
   */
  behind(nowMs: number): PartitionBehind[] {
    const rows: PartitionBehind[] = [];
    for (const [topic, partitions] of this.topics) {
      for (const [partition, offsets] of partitions) {
        if (offsets.lease.ended) continue;
        const oldest = offsets.oldestWaiting;
        const seconds = oldest === undefined ? 0 : oldest < 0 ? null : Math.max(0, (nowMs - oldest) / 1000);
        rows.push({ topic, partition, seconds, logAppendTime: offsets.logAppendTime });
      }
    }
    return rows;
  }

  markCommitted(positions: readonly CommitPosition[]): void {
    for (const p of positions) {
      const offsets = this.topics.get(p.topic)?.get(p.partition);
      // Not a position of an earlier lease, answered after the partition came back under a new one.
      if (offsets !== undefined && (p.lease === undefined || p.lease === offsets.lease))
        offsets.committed = p.offset;
    }
  }
}
