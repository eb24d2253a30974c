// A message as the fetch loop hands it out. Its lease already says topic, topic id and
// partition, so each message holds three fields instead of six: one-document (`bulk1`) messages
// come by the hundred thousand a second and live until their batch is indexed, long enough to be
// promoted, and their size is garbage collection's work (docs/benchmarks-history.md).
// Its time is its batch's (one object a batch) and its own delta (a small integer): a timestamp
// of its own would be a heap number per message.
import type { ConsumedMessage, Lease } from '../../records.js';
import type { BatchTime } from './record-batches.js';

export class FetchedMessage implements ConsumedMessage {
  constructor(
    readonly lease: Lease,
    readonly offset: bigint,
    readonly value: Buffer,
    private readonly time: BatchTime,
    private readonly timestampDelta: number,
  ) {}

  get timestamp(): number {
    const { base, logAppendTime } = this.time;
    return base < 0 || logAppendTime ? base : base + this.timestampDelta;
  }

  get logAppendTime(): boolean {
    return this.time.logAppendTime;
  }

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
