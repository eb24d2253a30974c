// Collects messages into one `_bulk` request and decides when to send it: the Go indexer's three
// limits (time, bytes, messages) and their flush reasons, as pure logic. Time is passed in, so
// the caller owns the clock and the timer.

export type FlushReason = 'time_limit' | 'bytes_limit' | 'msg_limit' | 'shutdown' | 'buffer_full';

export interface BulkerLimits {
  maxMessages: number;
  maxBytes: number;
  /** Longest time the first message of a batch may wait, in ms. */
  flushIntervalMs: number;
}

export interface Batch<T> {
  entries: T[];
  bytes: number;
  reason: FlushReason;
}

const noBatches: readonly never[] = Object.freeze([]);

export class Bulker<T> {
  private entries: T[] = [];
  private bytes = 0;
  private firstAt = 0;

  constructor(private readonly limits: BulkerLimits) {}

  get pendingMessages(): number {
    return this.entries.length;
  }

  /** When the pending batch must go out at the latest (ms, the caller's clock), or undefined if empty. */
  get deadline(): number | undefined {
    return this.entries.length === 0 ? undefined : this.firstAt + this.limits.flushIntervalMs;
  }

  /**
   * Adds one message of `size` bytes at time `now`. Returns the batches that must be sent now:
   * the pending one if this message would push it over the byte limit, and the new one if it
   * reached the message limit. A message larger than the byte limit travels alone.
   */
  add(entry: T, size: number, now: number): readonly Batch<T>[] {
    let ready: Batch<T>[] | undefined;
    if (this.entries.length > 0 && this.bytes + size > this.limits.maxBytes)
      ready = [this.take('bytes_limit')];
    if (this.entries.length === 0) this.firstAt = now;
    this.entries.push(entry);
    this.bytes += size;
    if (this.entries.length >= this.limits.maxMessages) (ready ??= []).push(this.take('msg_limit'));
    else if (this.bytes >= this.limits.maxBytes) (ready ??= []).push(this.take('bytes_limit'));
    // Called for every message: nothing is allocated when nothing is ready.
    return ready ?? noBatches;
  }

  /** The pending batch if its time is up at `now`. */
  due(now: number): Batch<T> | undefined {
    const deadline = this.deadline;
    return deadline !== undefined && now >= deadline ? this.take('time_limit') : undefined;
  }

  /** Whatever is pending: on shutdown, or when MAX_BUFFERED_BYTES are taken and nothing is in flight. */
  drain(reason: 'shutdown' | 'buffer_full' = 'shutdown'): Batch<T> | undefined {
    return this.entries.length === 0 ? undefined : this.take(reason);
  }

  private take(reason: FlushReason): Batch<T> {
    const batch = { entries: this.entries, bytes: this.bytes, reason };
    this.entries = [];
    this.bytes = 0;
    return batch;
  }
}
