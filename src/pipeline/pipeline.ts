// The pipeline: Kafka messages → parsed items → bulker → up to N bulk requests in flight → offsets
// committed once their messages are done. This file wires the parts and owns start and stop:
// intake.ts takes the messages, buffer-budget.ts holds it back while MAX_BUFFERED_BYTES are
// taken, flush-timer.ts sends batches whose time is up, in-flight.ts runs the indexers.
import type { ParsedMessage } from '../bulk/items.js';
import type { CommitPosition, MessageChunk } from '../records.js';
import { canRetry } from '../retry.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { BufferBudget } from './buffer-budget.js';
import { Bulker, type Batch, type BulkerLimits } from './bulker.js';
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { FlushTimer } from './flush-timer.js';
import type { ConcurrencyLimit } from './concurrency.js';
import { InFlight } from './in-flight.js';
import { Intake } from './intake.js';
import type { BatchEntry, BatchResult, IndexerDeps } from './indexer.js';
import { OffsetTracker } from './offsets.js';

export interface PipelineDeps {
  /** The consumer's messages, in chunks (whatever was read ahead when the pipeline asked). */
  messages: () => Promise<AsyncIterable<MessageChunk>>;
  /** Whether fetching again may help after this consumer error (default `canRetry`: not for refused credentials). */
  recoverable?: (error: unknown) => boolean;
  /** How long start-up waits for the Kafka brokers before giving up (default 0: without end). */
  startupWaitMs?: number;
  /** Told true when fetching starts failing (the brokers do not answer), false when it works again. */
  kafkaUnavailable?: (unavailable: boolean) => void;
  stopFetching: () => Promise<void>;
  commit: (positions: CommitPosition[]) => Promise<void>;
  /** Without `now` and `sleep`, the indexers use the pipeline's clock. */
  indexer: IndexerDeps;
  limits: BulkerLimits;
  /** How many batches may be in flight: fixed, or adapting to the cluster (concurrency.ts). */
  concurrency: ConcurrencyLimit;
  maxBufferedBytes: number;
  deterministicIds: boolean;
  /** Takes the items the allow-list refuses out of a message (see allow-list.ts). */
  allowList: (parsed: ParsedMessage) => ParsedMessage;
  commitIntervalMs: number;
  /** On stop, how long batches in flight may still finish before they are abandoned (left uncommitted). */
  drainGraceMs: number;
  metrics: Metrics;
  logger: Logger;
  /** Time and timers; tests move it by hand. */
  clock?: Clock;
}

export class Pipeline {
  private readonly offsets = new OffsetTracker();
  private readonly bulker: Bulker<BatchEntry>;
  private readonly clock: Clock;
  private readonly stopping = new AbortController();
  private readonly inFlight: InFlight;
  private readonly budget: BufferBudget;
  private readonly flushTimer: FlushTimer<BatchEntry>;
  private readonly intake: Intake;
  /** Commits failed in a row since the last one that succeeded. */
  private failedCommits = 0;

  constructor(private readonly deps: PipelineDeps) {
    const { metrics, logger } = deps;
    const clock = (this.clock = deps.clock ?? realClock);
    this.bulker = new Bulker(deps.limits);
    this.budget = new BufferBudget({ maxBufferedBytes: deps.maxBufferedBytes, clock, metrics, logger });
    this.inFlight = new InFlight({
      indexer: {
        ...deps.indexer,
        now: deps.indexer.now ?? clock.now,
        sleep: deps.indexer.sleep ?? clock.sleep,
      },
      concurrency: deps.concurrency,
      clock,
      metrics,
      logger,
      finished: (batch, result) => this.finished(batch, result),
      freed: () => this.flushTimer.indexerFreed(),
    });
    this.flushTimer = new FlushTimer({
      bulker: this.bulker,
      clock,
      indexerFree: () => this.inFlight.hasFreeIndexer,
      send: (batch) => void this.inFlight.send(batch),
    });
    this.intake = new Intake({
      messages: deps.messages,
      recoverable: deps.recoverable ?? canRetry,
      startupWaitMs: deps.startupWaitMs ?? 0,
      kafkaUnavailable: deps.kafkaUnavailable ?? (() => undefined),
      stopFetching: deps.stopFetching,
      deterministicIds: deps.deterministicIds,
      allowList: deps.allowList,
      offsets: this.offsets,
      bulker: this.bulker,
      budget: this.budget,
      inFlight: this.inFlight,
      flushTimer: this.flushTimer,
      stopped: this.stopping.signal,
      clock,
      metrics,
      logger,
    });
  }

  /** Runs until `stop()`; then sends what is pending, waits for every bulk (or abandons it), and commits. */
  async run(): Promise<void> {
    const stopCommitting = this.commitEvery(this.deps.commitIntervalMs);
    try {
      await this.intake.run();
    } finally {
      stopCommitting();
      this.flushTimer.cancel();
      const last = this.bulker.drain();
      if (last !== undefined) await this.inFlight.send(last);
      await this.inFlight.drain(this.deps.drainGraceMs);
      await this.commit();
    }
  }

  /**
   * Stops fetching; `run()` then drains and returns. Batches still in flight after the grace
   * time (the cluster is away, say) are abandoned: left uncommitted, to be redelivered.
   */
  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    this.deps.logger.info('stopping: no more fetching, flushing what is pending');
    this.inFlight.abandonAfter(this.deps.drainGraceMs);
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
      if (this.failedCommits > 0) {
        this.deps.logger.info({ failedCommits: this.failedCommits }, 'offset commits succeed again');
        this.failedCommits = 0;
      }
    } catch (error) {
      // Every commit interval while the brokers are away: one warning a streak, not one a second.
      this.failedCommits += 1;
      if (this.failedCommits === 1) this.deps.logger.warn({ err: error }, 'offset commit failed; will retry');
      else this.deps.logger.debug({ err: error }, 'offset commit failed again');
    }
  }

  private finished(batch: Batch<BatchEntry>, result: BatchResult): void {
    this.budget.release(batch.bytes);
    if (result === 'abandoned') return;
    for (const { message } of batch.entries) this.offsets.completed(message);
  }

  /** Commits every `intervalMs` until the returned function is called. */
  private commitEvery(intervalMs: number): () => void {
    let timer: TimerHandle | undefined;
    const arm = (): void => {
      timer = this.clock.setTimeout(() => {
        void this.commit();
        arm();
      }, intervalMs);
    };
    arm();
    return () => this.clock.clearTimeout(timer);
  }
}
