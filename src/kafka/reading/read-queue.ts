// What the fetcher has read and the pipeline not yet taken: messages in fetch order, how far each
// partition was read, and their bytes, against the read-ahead limits. The pipeline takes all of it
// at once; messages of a lease that ended while they waited (revoked, recreated, truncated) are
// left out then, never handed on.
import type { ConsumedMessage, Lease, MessageChunk, ReadUpTo } from '../../records.js';
import type { ReadAheadLimits } from './fetcher-options.js';
import { positionKey } from './positions.js';

export class ReadQueue {
  private messages: ConsumedMessage[] = [];
  private bytes = 0;
  private readTo = new Map<string, ReadUpTo>();

  constructor(private readonly limits: ReadAheadLimits) {}

  get isEmpty(): boolean {
    return this.messages.length === 0 && this.readTo.size === 0;
  }

  /** Enough waits for the pipeline: fetch no more until it takes them. */
  get full(): boolean {
    return this.bytes >= this.limits.bytes && this.messages.length >= this.limits.messages;
  }

  push(message: ConsumedMessage): void {
    this.messages.push(message);
    this.bytes += message.value.length;
  }

  /** The partition of `lease` was read up to `offset` (the offset after its last batch, of `leaderEpoch`). */
  readUpTo(lease: Lease, offset: bigint, leaderEpoch: number): void {
    this.readTo.set(positionKey(lease.topic, lease.partition), { lease, offset, leaderEpoch });
  }

  /** Everything queued, as one chunk; undefined when all of it was of ended leases. */
  take(): MessageChunk | undefined {
    const messages = this.messages.some((m) => m.lease.ended)
      ? this.messages.filter((m) => !m.lease.ended)
      : this.messages;
    const readUpTo = [...this.readTo.values()].filter((r) => !r.lease.ended);
    this.messages = [];
    this.bytes = 0;
    this.readTo = new Map();
    return messages.length > 0 || readUpTo.length > 0 ? { messages, readUpTo } : undefined;
  }

  /** Per partition, the first offset queued and not handed out. */
  firstOffsets(): Map<string, bigint> {
    const first = new Map<string, bigint>();
    for (const { topic, partition, offset } of this.messages) {
      const key = positionKey(topic, partition);
      if (!first.has(key)) first.set(key, offset);
    }
    return first;
  }
}
