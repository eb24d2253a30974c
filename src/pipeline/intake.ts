// The intake: chunks of Kafka messages → parsed items → the bulker, each full batch sent to an
// indexer. It waits only while every indexer is busy or MAX_BUFFERED_BYTES are taken; at start-up
// and after a stream error it waits for the consumer, longer after each failed try.
import { withDerivedIds } from '../bulk/derived-ids.js';
import type { ParsedMessage } from '../bulk/items.js';
import { parseMessage } from '../bulk/parse.js';
import type { ConsumedMessage, MessageChunk } from '../records.js';
import { backoff, IndexerError, retry } from '../retry.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { BufferBudget } from './buffer-budget.js';
import type { Bulker } from './bulker.js';
import type { Clock } from './clock.js';
import type { FlushTimer } from './flush-timer.js';
import type { InFlight } from './in-flight.js';
import type { BatchEntry } from './indexer.js';
import type { OffsetTracker } from './offsets.js';

export interface IntakeDeps {
  messages: () => Promise<AsyncIterable<MessageChunk>>;
  /** Whether fetching again may help after this consumer error. */
  recoverable: (error: unknown) => boolean;
  /** How long start-up waits for the consumer before giving up; 0: without end. */
  startupWaitMs: number;
  /** Told true when a streak of failed tries to fetch starts, false when fetching works again. */
  kafkaUnavailable: (unavailable: boolean) => void;
  stopFetching: () => Promise<void>;
  deterministicIds: boolean;
  allowList: (parsed: ParsedMessage) => ParsedMessage;
  offsets: OffsetTracker;
  bulker: Bulker<BatchEntry>;
  budget: BufferBudget;
  inFlight: InFlight;
  flushTimer: FlushTimer<BatchEntry>;
  /** Aborted by the pipeline's stop(): take no more messages. */
  stopped: AbortSignal;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
}

export class Intake {
  constructor(private readonly deps: IntakeDeps) {}

  /** Takes messages until the stream ends or the pipeline stops. */
  async run(): Promise<void> {
    let messages = await this.connect(undefined);
    for (;;) {
      if (messages === undefined) return; // stopped while waiting for the consumer
      try {
        for await (const chunk of messages) {
          await this.accept(chunk);
          if (this.deps.stopped.aborted) break;
        }
        return;
      } catch (error) {
        messages = await this.connect(error);
        if (this.deps.stopped.aborted) await this.deps.stopFetching(); // stopped while it was reconnecting
      }
    }
  }

  /**
   * The consumer's messages: at start-up (`streamError` undefined), or after the stream ended in
   * an error (a broker restarting, a network cut), from the last commit; what is redelivered and
   * already here is tracked once. While the brokers do not answer it waits, longer after each
   * failed try, with one log line when the failures start and one when they end. An error no
   * retry fixes (refused credentials), or start-up waiting longer than `startupWaitMs`, ends the
   * run with the error; a stop while waiting ends it quietly (undefined).
   */
  private async connect(streamError: unknown): Promise<AsyncIterable<MessageChunk> | undefined> {
    const { clock, logger, startupWaitMs } = this.deps;
    const starting = streamError === undefined;
    const started = clock.now();
    let tries = 0;
    const waitedTooLong = (): boolean =>
      starting && startupWaitMs > 0 && clock.now() - started >= startupWaitMs;
    try {
      const messages = await retry(
        (attempt) => {
          // After a stream error, attempt 0 is that error: retry() judges it and waits as after any other.
          if (!starting && attempt === 0) throw streamError as unknown;
          tries = attempt;
          return this.deps.messages();
        },
        {
          policy: backoff.kafkaFetch,
          signal: this.deps.stopped,
          retryable: (error) => this.deps.recoverable(error) && !waitedTooLong(),
          sleep: clock.sleep,
          // One line when the failures start and one when they end, not one per try.
          onRetry: (error, attempt) => {
            if (attempt > 0) return;
            this.deps.kafkaUnavailable(true);
            logger.warn(
              { err: error },
              starting
                ? 'Kafka consumer cannot start yet; waiting for the brokers, longer after each failed try'
                : 'Kafka consumer failed; fetching again, waiting longer after each failed try',
            );
          },
        },
      );
      if (!starting) logger.info({ tries, afterMs: clock.now() - started }, 'Kafka consumer fetching again');
      else if (tries > 0) logger.info({ tries, afterMs: clock.now() - started }, 'Kafka consumer started');
      if (!starting || tries > 0) this.deps.kafkaUnavailable(false);
      return messages;
    } catch (error) {
      if (this.deps.stopped.aborted) return undefined;
      if (!waitedTooLong()) throw error;
      throw new IndexerError(
        `no Kafka broker answered within KAFKA_STARTUP_WAIT (${startupWaitMs} ms): ${error instanceof Error ? error.message : String(error)}`,
        'AKI_KAFKA_STARTUP_WAIT',
        false,
        { cause: error },
      );
    }
  }

  /**
   * Takes a chunk of messages into the bulker, sending each batch it fills. Awaits only when the
   * buffer is full or every indexer is busy: no promise per message, and metrics per chunk.
   */
  private async accept(chunk: MessageChunk): Promise<void> {
    const { metrics, offsets, bulker, budget, clock, stopped } = this.deps;
    let taken = 0;
    let now = clock.now();
    for (const message of chunk.messages) {
      if (budget.full) {
        await budget.makeRoom(this.deps.inFlight, bulker, stopped);
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
      for (const batch of bulker.add({ message, parsed: this.prepare(message) }, size, now)) {
        await this.deps.inFlight.send(batch);
        now = clock.now();
      }
    }
    // Every message of the chunk taken: what was read without a message (markers) counts as done.
    if (!stopped.aborted) for (const read of chunk.readUpTo) offsets.readUpTo(read);
    metrics.consumedMessages.inc(taken);
    budget.report();
    this.deps.flushTimer.schedule();
  }

  private prepare(message: ConsumedMessage): ParsedMessage {
    const parsed = parseMessage(message.value);
    for (const rejected of parsed.rejected)
      this.deps.metrics.rejectedMessages.inc({ reason: rejected.reason });
    // Ids before the allow-list: a derived id names the item's place in the message as received.
    // Items the allow-list refuses are counted with the other failed documents, by reason.
    return this.deps.allowList(this.deps.deterministicIds ? withDerivedIds(parsed, message) : parsed);
  }
}
