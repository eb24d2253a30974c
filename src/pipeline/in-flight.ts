// The indexers: up to `concurrency.limit` batches in flight at once (a fixed number, or one that
// adapts to the cluster: concurrency.ts), each sent by indexBatch. A batch
// waits here for a free indexer (and fetching with it); on stop, batches still in flight
// after the grace time are abandoned, so their messages stay uncommitted and are redelivered.
import { setMaxListeners } from 'node:events';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Batch } from './bulker.js';
import type { Clock, TimerHandle } from './clock.js';
import type { ConcurrencyLimit, RequestSample } from './concurrency.js';
import { indexBatch, type BatchEntry, type BatchResult, type IndexerDeps } from './indexer.js';

export type InFlightMetrics = Pick<
  Metrics,
  | 'flushReasons'
  | 'flushedBytes'
  | 'flushedMessages'
  | 'fetchPaused'
  | 'fetchPausedSeconds'
  | 'inFlightRequests'
  | 'inFlightBytes'
>;

export interface InFlightDeps {
  indexer: IndexerDeps;
  concurrency: ConcurrencyLimit;
  clock: Clock;
  metrics: InFlightMetrics;
  logger: Logger;
  /** A batch has finished: done (its offsets may be committed) or abandoned (they may not). */
  finished: (batch: Batch<BatchEntry>, result: BatchResult) => void;
  /** An indexer has freed up (after `finished`). */
  freed: () => void;
}

export class InFlight {
  private readonly batches = new Set<Promise<void>>();
  private readonly abandon = new AbortController();
  private abandonTimer: TimerHandle | undefined;
  /** A batch waits in `send` for an indexer: the next free one is its. */
  private batchWaiting = false;

  constructor(private readonly deps: InFlightDeps) {
    // Every request and retry wait in flight listens on this signal, one listener each, removed
    // when it ends: more than Node's default of 10 at once is normal under per-item retries.
    setMaxListeners(0, this.abandon.signal);
  }

  get size(): number {
    return this.batches.size;
  }

  /** Whether a batch sent now would start at once: an indexer is free and no batch waits for it. */
  get hasFreeIndexer(): boolean {
    return this.batches.size < this.deps.concurrency.limit && !this.batchWaiting;
  }

  /** Resolves when any batch in flight finishes. */
  oneFinished(): Promise<void> {
    return Promise.race(this.batches);
  }

  /** Waits for a free indexer, then starts the batch without waiting for it to finish. */
  async send(batch: Batch<BatchEntry>): Promise<void> {
    const { metrics, clock } = this.deps;
    metrics.flushReasons.inc({ reason: batch.reason });
    metrics.flushedBytes.observe(batch.bytes);
    metrics.flushedMessages.observe(batch.entries.length);
    this.deps.logger.debug(
      { reason: batch.reason, messages: batch.entries.length, bytes: batch.bytes },
      'flushing',
    );
    if (this.batches.size >= this.deps.concurrency.limit) {
      // Every indexer busy: the caller (the pipeline, and so fetching) waits here.
      const paused = clock.now();
      metrics.fetchPaused.set(1);
      this.batchWaiting = true;
      while (this.batches.size >= this.deps.concurrency.limit) await this.oneFinished();
      this.batchWaiting = false;
      metrics.fetchPaused.set(0);
      metrics.fetchPausedSeconds.inc({ reason: 'indexers_busy' }, (clock.now() - paused) / 1000);
    }
    this.start(batch);
  }

  private start(batch: Batch<BatchEntry>): void {
    const { metrics } = this.deps;
    const { concurrency } = this.deps;
    const indexer = { ...this.deps.indexer, observe: (sample: RequestSample) => concurrency.observe(sample) };
    const work = indexBatch(indexer, batch.entries, this.abandon.signal)
      .catch((error: unknown): BatchResult => {
        // indexBatch handles every failure itself; reaching here is a bug. The batch stays uncommitted.
        this.deps.logger.error({ err: error }, 'batch failed unexpectedly; its messages will be redelivered');
        return 'abandoned';
      })
      .then((result) => this.deps.finished(batch, result))
      .finally(() => {
        this.batches.delete(work);
        metrics.inFlightRequests.set(this.batches.size);
        metrics.inFlightBytes.dec(batch.bytes);
        this.deps.freed();
      });
    this.batches.add(work);
    concurrency.started(this.batches.size);
    metrics.inFlightRequests.set(this.batches.size);
    metrics.inFlightBytes.inc(batch.bytes);
  }

  /**
   * Abandons what is still in flight `graceMs` from now: left uncommitted, to be redelivered. A
   * deadline already set stays: the grace time counts from the first call (the stop).
   */
  abandonAfter(graceMs: number): void {
    if (this.abandonTimer !== undefined) return;
    this.abandonTimer = this.deps.clock.setTimeout(() => {
      if (this.batches.size === 0) return;
      this.deps.logger.warn(
        { batches: this.batches.size },
        'abandoning batches still in flight; they will be redelivered',
      );
      this.abandon.abort();
    }, graceMs);
    // Armed by stop(), possibly while nothing else keeps the process alive.
    this.abandonTimer.unref();
  }

  /** Waits for every batch in flight to finish, or to be abandoned `graceMs` after the stop at the latest. */
  async drain(graceMs: number): Promise<void> {
    this.abandonAfter(graceMs);
    await Promise.all(this.batches);
    this.deps.clock.clearTimeout(this.abandonTimer);
  }
}
