// The pipeline, in the order a message goes through it:
//
//   fetch (fetching.ts) → parse (parsing.ts) → batch (bulker.ts) → send (in-flight.ts, indexer.ts)
//   → commit (offsets.ts, committing.ts)
//
// `take` below is that chain for each chunk of messages. Beside it run three hand-offs: the
// buffer budget holds fetching back while MAX_BUFFERED_BYTES are taken (buffer-budget.ts), the
// flush timer sends a batch whose time is up to the next free indexer (flush-timer.ts), and a
// finished batch frees its bytes and marks its messages done for the next commit
// (`batchFinished`). This file wires the stages and owns start and stop.
import type { ParsedMessage } from '../bulk/items.js';
import type { CommitPosition, ConsumedMessage, MessageChunk, PartitionBehind } from '../records.js';
import { canRetry } from '../retry.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { BufferBudget, type BufferBudgetMetrics } from './buffer-budget.js';
import { Bulker, type Batch, type BulkerLimits } from './bulker.js';
import { realClock, type Clock } from './clock.js';
import { Committing } from './committing.js';
import type { ConcurrencyLimit } from './concurrency.js';
import { fetchChunks } from './fetching.js';
import { FlushTimer } from './flush-timer.js';
import { InFlight, type InFlightMetrics } from './in-flight.js';
import type { BatchEntry, BatchResult, IndexerDeps } from './indexer.js';
import { OffsetTracker } from './offsets.js';
import { messageParser, type ParsingDeps } from './parsing.js';

export type PipelineMetrics = BufferBudgetMetrics &
  InFlightMetrics &
  ParsingDeps['metrics'] &
  Pick<Metrics, 'consumedMessages' | 'consumedMessageBytes' | 'indexingDelay'>;

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
  /** Resolves with the positions committed: those of partitions this member owns when it is sent. */
  commit: (positions: CommitPosition[]) => Promise<readonly CommitPosition[]>;
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
  metrics: PipelineMetrics;
  logger: Logger;
  /** Time and timers; tests move it by hand. */
  clock?: Clock;
}

export class Pipeline {
  private readonly clock: Clock;
  private readonly stopping = new AbortController();
  private readonly parse: (message: ConsumedMessage) => ParsedMessage;
  private readonly bulker: Bulker<BatchEntry>;
  private readonly inFlight: InFlight;
  private readonly offsets = new OffsetTracker();
  private readonly committing: Committing;
  private readonly budget: BufferBudget;
  private readonly flushTimer: FlushTimer<BatchEntry>;

  constructor(private readonly deps: PipelineDeps) {
    const { metrics, logger } = deps;
    const clock = (this.clock = deps.clock ?? realClock);
    this.parse = messageParser(deps);
    this.bulker = new Bulker(deps.limits);
    const indexer = {
      ...deps.indexer,
      now: deps.indexer.now ?? clock.now,
      sleep: deps.indexer.sleep ?? clock.sleep,
    };
    this.inFlight = new InFlight({
      indexer,
      concurrency: deps.concurrency,
      clock,
      metrics,
      logger,
      finished: (batch, result) => this.batchFinished(batch, result),
      freed: () => this.flushTimer.indexerFreed(),
    });
    this.committing = new Committing({ offsets: this.offsets, commit: deps.commit, clock, logger });
    this.budget = new BufferBudget({ maxBufferedBytes: deps.maxBufferedBytes, clock, metrics, logger });
    this.flushTimer = new FlushTimer({
      bulker: this.bulker,
      clock,
      indexerFree: () => this.inFlight.hasFreeIndexer,
      send: (batch) => void this.inFlight.send(batch),
    });
  }

  /** Runs until `stop()`; then sends what is pending, waits for every bulk (or abandons it), and commits. */
  async run(): Promise<void> {
    const { deps, clock } = this;
    const stopCommitting = this.committing.every(deps.commitIntervalMs);
    try {
      const chunks = fetchChunks({
        messages: deps.messages,
        recoverable: deps.recoverable ?? canRetry,
        startupWaitMs: deps.startupWaitMs ?? 0,
        kafkaUnavailable: deps.kafkaUnavailable ?? (() => undefined),
        stopFetching: deps.stopFetching,
        stopped: this.stopping.signal,
        clock,
        logger: deps.logger,
      });
      for await (const chunk of chunks) await this.take(chunk);
    } finally {
      stopCommitting();
      this.flushTimer.cancel();
      const last = this.bulker.drain();
      if (last !== undefined) await this.inFlight.send(last);
      await this.inFlight.drain(deps.drainGraceMs);
      await this.committing.commit();
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

  /** How far behind each partition read is now: the age of its oldest message not yet done. */
  behind(): PartitionBehind[] {
    return this.offsets.behind(this.clock.now());
  }

  /** Commits what is done now: the consumer asks before a rebalance moves partitions away. */
  commit(): Promise<void> {
    return this.committing.commit();
  }

  /**
   * The chain for one chunk: each message is parsed and added to the bulker, and each batch it
   * fills is sent. Awaits only when the buffer is full or every indexer is busy: no promise per
   * message, and metrics per chunk.
   */
  private async take(chunk: MessageChunk): Promise<void> {
    const { metrics } = this.deps;
    const { offsets, bulker, budget, clock } = this;
    const stopped = this.stopping.signal;
    let taken = 0;
    let now = clock.now();
    for (const message of chunk.messages) {
      if (budget.full) {
        await budget.makeRoom(this.inFlight, bulker, stopped);
        now = clock.now();
      }
      // Stopped while waiting: leave the rest untouched (uncommitted), it is read again.
      if (stopped.aborted) break;
      // The fetcher rewinds every owned partition to its last commit when the group is joined
      // again: copies of messages already taken are skipped, not indexed a second time; so are
      // messages of a partition revoked (or a topic's earlier life) since they were fetched.
      if (!offsets.received(message)) continue;
      const size = message.value?.length ?? 0;
      budget.take(size);
      taken += 1;
      metrics.consumedMessageBytes.observe(size);
      for (const batch of bulker.add({ message, parsed: this.parse(message) }, size, now)) {
        await this.inFlight.send(batch);
        now = clock.now();
      }
    }
    // Every message of the chunk taken: what was read without a message (markers) counts as done.
    if (!stopped.aborted) for (const read of chunk.readUpTo) offsets.readUpTo(read);
    metrics.consumedMessages.inc(taken);
    budget.report();
    this.flushTimer.schedule();
  }

  /**
   * A batch has finished: its bytes are free, and if it was done, its messages may be committed,
   * and each tells how long it took from its record's time to here.
   */
  private batchFinished(batch: Batch<BatchEntry>, result: BatchResult): void {
    this.budget.release(batch.bytes);
    if (result === 'abandoned') return;
    const now = this.clock.now();
    const delay = this.deps.metrics.indexingDelay;
    for (const { message } of batch.entries) {
      this.offsets.completed(message);
      const stamped = message.timestamp ?? -1;
      if (stamped >= 0) delay.observe(Math.max(0, now - stamped) / 1000);
    }
  }
}
