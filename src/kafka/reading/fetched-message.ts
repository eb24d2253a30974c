// A message as the fetch loop hands it out. Its lease already says topic, topic id and
// partition, so each message holds three fields instead of six: one-document (`bulk1`) messages
// come by the hundred thousand a second and live until their batch is indexed, long enough to be
// promoted, and their size is garbage collection's work (docs/benchmarks-history.md).
import type { ConsumedMessage, Lease } from '../../records.js';

export class FetchedMessage implements ConsumedMessage {
  constructor(
    readonly lease: Lease,
    readonly offset: bigint,
    readonly value: Buffer,
  ) {}

  get topic(): string {
    return this.lease.topic;
  }

  get topicId(): string {
    return this.lease.topicId;
  }

  get partition(): number {
    return this.lease.partition;
  }
}
