// The loop: Kafka messages → parsed items → bulker → up to N bulk requests in flight → offsets
// committed once their messages are done. Reading stops while all N indexers are busy, so memory
// is bounded by N batches plus the consumer's small read-ahead.
import type { ConsumedMessage } from '../kafka/consumer.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { Bulker, type Batch, type BulkerLimits } from './bulker.js';
import { indexBatch, type BatchEntry, type IndexerDeps } from './indexer.js';
import { parseMessage } from './message-format.js';
import { OffsetTracker, type CommitPosition } from './offsets.js';

export interface PipelineDeps {
  messages: () => Promise<AsyncIterable<ConsumedMessage>>;
  stopFetching: () => Promise<void>;
  commit: (positions: CommitPosition[]) => Promise<void>;
  indexer: IndexerDeps;
  limits: BulkerLimits;
  instances: number;
  commitIntervalMs: number;
  metrics: Metrics;
  logger: Logger;
}

export class Pipeline {
  readonly offsets = new OffsetTracker();
  private readonly bulker: Bulker<BatchEntry>;
  private readonly inFlight = new Set<Promise<void>>();
  private flushTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly deps: PipelineDeps) {
    this.bulker = new Bulker(deps.limits);
  }

  /** Runs until `stop()`; then sends what is pending, waits for every bulk, and commits. */
  async run(): Promise<void> {
    const messages = await this.deps.messages();
    const commitTimer = setInterval(() => void this.commit(), this.deps.commitIntervalMs);
    try {
      for await (const message of messages) {
        this.accept(message);
        for (const batch of this.bulker.add(
          { message, parsed: parseMessage(message.value) },
          message.value.length,
          Date.now(),
        )) {
          await this.dispatch(batch);
        }
        this.scheduleFlush();
        if (this.stopping) break;
      }
    } finally {
      clearInterval(commitTimer);
      clearTimeout(this.flushTimer);
      const last = this.bulker.drain();
      if (last !== undefined) await this.dispatch(last);
      await Promise.all(this.inFlight);
      await this.commit();
    }
  }

  /** Stops fetching; `run()` then drains and returns. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.deps.logger.info('stopping: no more fetching, flushing what is pending');
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

  private accept(message: ConsumedMessage): void {
    this.offsets.received(message.topic, message.partition, message.offset);
    this.deps.metrics.consumedMessages.inc();
    this.deps.metrics.consumedMessageBytes.observe(message.value.length);
  }

  private scheduleFlush(): void {
    clearTimeout(this.flushTimer);
    const deadline = this.bulker.deadline;
    if (deadline === undefined) return;
    this.flushTimer = setTimeout(
      () => {
        const batch = this.bulker.due(Date.now());
        if (batch !== undefined) void this.dispatch(batch);
        else this.scheduleFlush();
      },
      Math.max(0, deadline - Date.now()),
    );
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
    while (this.inFlight.size >= this.deps.instances) await Promise.race(this.inFlight);
    const work = indexBatch(this.deps.indexer, batch.entries)
      .catch((error: unknown) => {
        // indexBatch handles every failure itself; reaching here is a bug, and the batch stays uncommitted.
        this.deps.logger.error({ err: error }, 'batch failed unexpectedly; its messages will be redelivered');
        return 'failed' as const;
      })
      .then((result) => {
        if (result === 'failed') return;
        for (const { message } of batch.entries) {
          this.offsets.completed(message.topic, message.partition, message.offset);
        }
      })
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }
}
