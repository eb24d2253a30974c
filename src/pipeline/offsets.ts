// Which offsets may be committed. A message is done when every document in it is acknowledged by
// the search cluster or durably on the failure topic; batches finish out of order, so per
// partition only the offset below which *everything* is done may be committed (Kafka's committed
// offset is the next one to read).

import type { CommitPosition } from '../records.js';

class PartitionOffsets {
  // Offsets not yet committable, in the order received, which is ascending: a completed offset
  // is found by binary search. Two parallel arrays, not an object per message: the entries live
  // as long as their batch, long enough to be promoted and cost garbage collection.
  private offsets: bigint[] = [];
  private done: boolean[] = [];
  private head = 0;
  /** Next offset to read once everything before it is done; undefined until a message completes. */
  next: bigint | undefined;
  committed: bigint | undefined;

  private highestReceived: bigint | undefined;

  received(offset: bigint): boolean {
    // After a rebalance the client fetches again from the last commit, handing out messages that
    // are already here (in flight or done). The first copy is the one tracked; tracking the
    // second too would leave a pending entry that never completes and stall the partition.
    if (this.highestReceived !== undefined && offset <= this.highestReceived) return false;
    this.highestReceived = offset;
    this.offsets.push(offset);
    this.done.push(false);
    return true;
  }

  completed(offset: bigint): void {
    const at = this.find(offset);
    if (at === -1) return; // from before a revocation: no longer ours to commit
    this.done[at] = true;
    while (this.head < this.offsets.length && this.done[this.head] === true) {
      this.next = (this.offsets[this.head] as bigint) + 1n;
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.offsets.length) {
      this.offsets = this.offsets.slice(this.head);
      this.done = this.done.slice(this.head);
      this.head = 0;
    }
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

  private partitionOf(topic: string, partition: number): PartitionOffsets {
    let partitions = this.topics.get(topic);
    if (partitions === undefined) {
      partitions = new Map();
      this.topics.set(topic, partitions);
    }
    let offsets = partitions.get(partition);
    if (offsets === undefined) {
      offsets = new PartitionOffsets();
      partitions.set(partition, offsets);
    }
    return offsets;
  }

  /**
   * Call in fetch order for every message taken from Kafka. False for a copy of a message already
   * taken on a partition still owned: the first copy is tracked and will be done, so the copy
   * need not be indexed again.
   */
  received(topic: string, partition: number, offset: bigint): boolean {
    return this.partitionOf(topic, partition).received(offset);
  }

  completed(topic: string, partition: number, offset: bigint): void {
    this.topics.get(topic)?.get(partition)?.completed(offset);
  }

  /** Positions that moved since the last `markCommitted`. */
  committable(): CommitPosition[] {
    const positions: CommitPosition[] = [];
    for (const [topic, partitions] of this.topics) {
      for (const [partition, offsets] of partitions) {
        if (offsets.next !== undefined && offsets.next !== offsets.committed) {
          positions.push({ topic, partition, offset: offsets.next });
        }
      }
    }
    return positions;
  }

  markCommitted(positions: CommitPosition[]): void {
    for (const p of positions) this.partitionOf(p.topic, p.partition).committed = p.offset;
  }

  /** Forgets a partition taken away by a rebalance: its new owner resumes from the last commit. */
  forget(topic: string, partition: number): void {
    this.topics.get(topic)?.delete(partition);
  }
}
