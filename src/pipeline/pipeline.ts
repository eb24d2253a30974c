// The loop: Kafka messages → parsed items → bulker → up to N bulk requests in flight → offsets
// committed once their messages are done. Reading from Kafka stops while all N indexers are busy
// or while MAX_BUFFERED_BYTES of messages are taken and not done, so memory stays flat however
// long the search cluster is away; it resumes by itself.
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommitPosition, ConsumedMessage } from '../records.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { Bulker, type Batch, type BulkerLimits } from './bulker.js';
import { indexBatch, type BatchEntry, type BatchResult, type IndexerDeps } from './indexer.js';
import { parseMessage, withDerivedIds, type ParsedMessage } from './message-format.js';
import { OffsetTracker } from './offsets.js';

export interface PipelineDeps {
  /** The consumer's messages, in chunks (whatever was read ahead when the pipeline asked). */
  messages: () => Promise<AsyncIterable<ConsumedMessage[]>>;
  /** Whether fetching again may help after this consumer error (false for refused credentials). */
  recoverable: (error: unknown) => boolean;
  refetchDelayMs: number;
  stopFetching: () => Promise<void>;
  commit: (positions: CommitPosition[]) => Promise<void>;
  indexer: IndexerDeps;
  limits: BulkerLimits;
  instances: number;
  maxBufferedBytes: number;
  deterministicIds: boolean;
  /** Takes the items the allow-list refuses out of a message (see allow-list.ts). */
  allowList: (parsed: ParsedMessage) => ParsedMessage;
  commitIntervalMs: number;
  /** On stop, how long batches in flight may still finish before they are abandoned (left uncommitted). */
  drainGraceMs: number;
  metrics: Metrics;
  logger: Logger;
}

export class Pipeline {
  readonly offsets = new OffsetTracker();
  private readonly bulker: Bulker<BatchEntry>;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abandon = new AbortController();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushDeadline: number | undefined;
  /** A batch's time was up while every indexer was busy: send it when one frees up. */
  private flushWhenIndexerFree = false;
  /** The loop holds a full batch and waits for an indexer: the next free one is its. */
  private loopWaitsForIndexer = false;
  private stopping = false;
  private bufferedBytes = 0;

  constructor(private readonly deps: PipelineDeps) {
    this.bulker = new Bulker(deps.limits);
    // Every request and retry wait in flight listens on this signal, one listener each, removed
    // when it ends: more than Node's default of 10 at once is normal under per-item retries.
    setMaxListeners(0, this.abandon.signal);
  }

  /** Runs until `stop()`; then sends what is pending, waits for every bulk (or abandons it), and commits. */
  async run(): Promise<void> {
    let messages = await this.deps.messages();
    const commitTimer = setInterval(() => void this.commit(), this.deps.commitIntervalMs);
    try {
      for (;;) {
        try {
          for await (const chunk of messages) {
            await this.accept(chunk);
            if (this.stopping) break;
          }
          break;
        } catch (error) {
          // The broker went away mid-stream (a restart, a network cut): the stream ends in an
          // error. Fetch again from the last commit once it answers; what is redelivered and
          // already here is tracked once. Errors no retry fixes (credentials) end the run.
          if (this.stopping || !this.deps.recoverable(error)) throw error;
          this.deps.logger.warn({ err: error }, 'Kafka consumer failed; fetching again in a second');
          await sleep(this.deps.refetchDelayMs);
          messages = await this.refetch();
          if (this.stopping) await this.deps.stopFetching(); // stopped while it was reconnecting
        }
      }
    } finally {
      clearInterval(commitTimer);
      clearTimeout(this.flushTimer);
      const last = this.bulker.drain();
      if (last !== undefined) await this.dispatch(last);
      await this.drain();
      await this.commit();
    }
  }

  /** Asks for the messages again until the consumer gets them, or the pipeline stops. */
  private async refetch(): Promise<AsyncIterable<ConsumedMessage[]>> {
    for (;;) {
      try {
        return await this.deps.messages();
      } catch (error) {
        if (this.stopping || !this.deps.recoverable(error)) throw error;
        this.deps.logger.warn({ err: error }, 'Kafka consumer cannot fetch yet; trying again in a second');
        await sleep(this.deps.refetchDelayMs);
      }
    }
  }

  /**
   * Stops fetching; `run()` then drains and returns. Batches still in flight after the grace
   * time (the cluster is away, say) are abandoned: left uncommitted, to be redelivered.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.deps.logger.info('stopping: no more fetching, flushing what is pending');
    setTimeout(() => {
      if (this.inFlight.size === 0) return;
      this.deps.logger.warn(
        { batches: this.inFlight.size },
        'abandoning batches still in flight; they will be redelivered',
      );
      this.abandon.abort();
    }, this.deps.drainGraceMs).unref();
    await this.deps.stopFetching();
  }

  /** Commits every partition's position that moved; a failed commit is retried with the next one. */
  async commit(): Promise<void> {
    const positions = this.offsets.committable();
    if (positions.length === 0) return;
    try {
      await this.deps.commit(positions);
      this.offsets.markCommitted(positions);
      this.deps.logger.debug({ positions: positions.map((p) => `${p.partition}:${p.offset}`) }, 'committed');
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'offset commit failed; will retry');
    }
  }

  private prepare(message: ConsumedMessage): ParsedMessage {
    const parsed = parseMessage(message.value);
    for (const rejected of parsed.rejected)
      this.deps.metrics.rejectedMessages.inc({ reason: rejected.reason });
    // Ids before the allow-list: a derived id names the item's place in the message as received.
    // Items the allow-list refuses are counted with the other failed documents, by reason.
    return this.deps.allowList(
      this.deps.deterministicIds
        ? withDerivedIds(parsed, `${message.topic}:${message.partition}:${message.offset}`)
        : parsed,
    );
  }

  /**
   * Takes a chunk of messages into the bulker, sending each batch it fills. Awaits only when the
   * buffer is full or every indexer is busy: no promise per message, and metrics per chunk.
   */
  private async accept(chunk: ConsumedMessage[]): Promise<void> {
    const { metrics } = this.deps;
    let taken = 0;
    let now = Date.now();
    for (const message of chunk) {
      if (this.bufferedBytes >= this.deps.maxBufferedBytes) {
        await this.makeRoom();
        now = Date.now();
      }
      // Stopped while waiting: leave the rest untouched (uncommitted), it is read again.
      if (this.stopping) break;
      // The client rewinds every owned partition to its last commit when the assignment changes:
      // copies of messages already taken are skipped, not indexed a second time.
      if (!this.offsets.received(message.topic, message.partition, message.offset)) continue;
      const size = message.value?.length ?? 0;
      this.bufferedBytes += size;
      taken += 1;
      metrics.consumedMessageBytes.observe(size);
      for (const batch of this.bulker.add({ message, parsed: this.prepare(message) }, size, now)) {
        await this.dispatch(batch);
        now = Date.now();
      }
    }
    metrics.consumedMessages.inc(taken);
    metrics.bufferedBytes.set(this.bufferedBytes);
    this.scheduleFlush();
  }

  /** Holds the next message back while MAX_BUFFERED_BYTES are taken and not done. */
  private async makeRoom(): Promise<void> {
    if (this.bufferedBytes < this.deps.maxBufferedBytes) return;
    // The gauge is otherwise set once per chunk: show the full buffer while fetching waits on it.
    this.deps.metrics.bufferedBytes.set(this.bufferedBytes);
    const paused = performance.now();
    this.deps.metrics.fetchPaused.set(1);
    this.deps.logger.debug({ bufferedBytes: this.bufferedBytes }, 'fetching paused: buffer full');
    while (this.bufferedBytes >= this.deps.maxBufferedBytes && !this.stopping) {
      // Nothing in flight means the bulker holds it all: send it, or nothing would ever free room.
      const pending = this.inFlight.size === 0 ? this.bulker.drain() : undefined;
      if (pending !== undefined) await this.dispatch({ ...pending, reason: 'bytes_limit' });
      if (this.inFlight.size === 0) break;
      await Promise.race(this.inFlight);
    }
    this.deps.metrics.fetchPaused.set(0);
    this.deps.metrics.fetchPausedSeconds.inc(
      { reason: 'max_buffered_bytes' },
      (performance.now() - paused) / 1000,
    );
  }

  private async drain(): Promise<void> {
    const timer = setTimeout(() => {
      if (this.inFlight.size === 0) return;
      this.deps.logger.warn(
        { batches: this.inFlight.size },
        'abandoning batches still in flight; they will be redelivered',
      );
      this.abandon.abort();
    }, this.deps.drainGraceMs);
    await Promise.all(this.inFlight);
    clearTimeout(timer);
  }

  /** Arms the flush timer for the pending batch's deadline; a timer already armed for it stays. */
  private scheduleFlush(): void {
    const deadline = this.bulker.deadline;
    if (deadline === this.flushDeadline) return;
    clearTimeout(this.flushTimer);
    this.flushDeadline = deadline;
    if (deadline === undefined) return;
    this.flushTimer = setTimeout(() => this.flushIfDue(), Math.max(0, deadline - Date.now()));
  }

  /**
   * Sends the pending batch if its time is up, but only to a free indexer. While every indexer is
   * busy the batch stays in the bulker and goes on filling; it leaves when one frees up. (Taking
   * it out at once made a queue of small batches behind the busy indexers: with a 100 ms flush
   * interval and a saturated cluster, 67 of 90 bulk requests carried a handful of documents.)
   */
  private flushIfDue(): void {
    if (this.inFlight.size >= this.deps.instances || this.loopWaitsForIndexer) {
      // Deferred: the deadline stays marked as handled, so no timer is armed again for it.
      this.flushWhenIndexerFree = true;
      return;
    }
    this.flushWhenIndexerFree = false;
    const batch = this.bulker.due(Date.now());
    if (batch !== undefined) void this.dispatch(batch);
    this.flushDeadline = undefined;
    this.scheduleFlush();
  }

  /** Waits for a free indexer, then starts the batch without waiting for it to finish. */
  private async dispatch(batch: Batch<BatchEntry>): Promise<void> {
    const { metrics } = this.deps;
    metrics.flushReasons.inc({ reason: batch.reason });
    metrics.flushedBytes.observe(batch.bytes);
    metrics.flushedMessages.observe(batch.entries.length);
    this.deps.logger.debug(
      { reason: batch.reason, messages: batch.entries.length, bytes: batch.bytes },
      'flushing',
    );
    if (this.inFlight.size >= this.deps.instances) {
      // Every indexer busy: the loop, and so fetching, waits here.
      const paused = performance.now();
      metrics.fetchPaused.set(1);
      this.loopWaitsForIndexer = true;
      while (this.inFlight.size >= this.deps.instances) await Promise.race(this.inFlight);
      this.loopWaitsForIndexer = false;
      metrics.fetchPaused.set(0);
      metrics.fetchPausedSeconds.inc({ reason: 'indexers_busy' }, (performance.now() - paused) / 1000);
    }
    const work = indexBatch(this.deps.indexer, batch.entries, this.abandon.signal)
      .catch((error: unknown): BatchResult => {
        // indexBatch handles every failure itself; reaching here is a bug. The batch stays uncommitted.
        this.deps.logger.error({ err: error }, 'batch failed unexpectedly; its messages will be redelivered');
        return 'abandoned';
      })
      .then((result) => {
        this.bufferedBytes -= batch.bytes;
        metrics.bufferedBytes.set(this.bufferedBytes);
        if (result === 'abandoned') return;
        for (const { message } of batch.entries) {
          this.offsets.completed(message.topic, message.partition, message.offset);
        }
      })
      .finally(() => {
        this.inFlight.delete(work);
        metrics.inFlightRequests.set(this.inFlight.size);
        metrics.inFlightBytes.dec(batch.bytes);
        if (this.flushWhenIndexerFree) this.flushIfDue();
      });
    this.inFlight.add(work);
    metrics.inFlightRequests.set(this.inFlight.size);
    metrics.inFlightBytes.inc(batch.bytes);
  }
}
