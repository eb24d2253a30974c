// The pipeline's first stage: the consumer's chunks of messages, for as long as the pipeline runs.
// At start-up, and after the stream ends in an error (a broker restarting, a network cut), it
// waits for the consumer, longer after each failed try, with one log line when the failures start
// and one when they end. What is redelivered after such an error starts at the last commit, and
// the offset tracker takes each message once.
import type { MessageChunk } from '../records.js';
import { backoff, IndexerError, retry } from '../retry.js';
import type { Logger } from '../telemetry/logger.js';
import type { Clock } from './clock.js';

export interface FetchingDeps {
  messages: () => Promise<AsyncIterable<MessageChunk>>;
  /** Whether fetching again may help after this consumer error. */
  recoverable: (error: unknown) => boolean;
  /** How long start-up waits for the consumer before giving up; 0: without end. */
  startupWaitMs: number;
  /** Told true when a streak of failed tries to fetch starts, false when fetching works again. */
  kafkaUnavailable: (unavailable: boolean) => void;
  stopFetching: () => Promise<void>;
  /** Aborted by the pipeline's stop(): fetch no more. */
  stopped: AbortSignal;
  clock: Clock;
  logger: Logger;
}

/** Chunks until the stream ends or the pipeline stops; rejects on an error no retry fixes. */
export async function* fetchChunks(deps: FetchingDeps): AsyncGenerator<MessageChunk> {
  let messages = await connect(deps, undefined);
  // Undefined: stopped while waiting for the consumer.
  while (messages !== undefined) {
    try {
      for await (const chunk of messages) {
        yield chunk;
        if (deps.stopped.aborted) return;
      }
      return;
    } catch (error) {
      messages = await connect(deps, error);
      if (deps.stopped.aborted) await deps.stopFetching(); // stopped while it was reconnecting
    }
  }
}

/**
 * The consumer's messages: at start-up (`streamError` undefined), or after the stream ended in
 * an error. An error no retry fixes (refused credentials), or start-up waiting longer than
 * `startupWaitMs`, rejects with the error; a stop while waiting resolves undefined.
 */
async function connect(
  deps: FetchingDeps,
  streamError: unknown,
): Promise<AsyncIterable<MessageChunk> | undefined> {
  const { clock, logger, startupWaitMs } = deps;
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
        return deps.messages();
      },
      {
        policy: backoff.kafkaFetch,
        signal: deps.stopped,
        retryable: (error) => deps.recoverable(error) && !waitedTooLong(),
        sleep: clock.sleep,
        // One line when the failures start and one when they end, not one per try.
        onRetry: (error, attempt) => {
          if (attempt > 0) return;
          deps.kafkaUnavailable(true);
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
    if (!starting || tries > 0) deps.kafkaUnavailable(false);
    return messages;
  } catch (error) {
    if (deps.stopped.aborted) return undefined;
    if (!waitedTooLong()) throw error;
    throw new IndexerError(
      `no Kafka broker answered within KAFKA_STARTUP_WAIT (${startupWaitMs} ms): ${error instanceof Error ? error.message : String(error)}`,
      'AKI_KAFKA_STARTUP_WAIT',
      false,
      { cause: error },
    );
  }
}
