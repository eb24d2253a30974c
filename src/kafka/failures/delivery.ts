// Where a failed document goes: a warning line each, then the failure topic (when one is set).
// A failure counts as handled only once it is on that topic, so delivery is retried until it is,
// with the retry module's failure-delivery backoff; its messages stay uncommitted meanwhile.
import type { FailedDocument } from '../../records.js';
import { backoff, canRetry, retry, type RetryOptions } from '../../retry.js';
import type { Logger } from '../../telemetry/logger.js';

export interface FailureDeliveryDeps {
  /** The failure topic's producer; undefined when KAFKA_PRODUCER_TOPIC is empty (log only). */
  producer: { send: (failures: FailedDocument[]) => Promise<void> } | undefined;
  logger: Logger;
  /**
   * Delivery failed for a reason no retry fixes (a refused certificate or password): the
   * indexer must stop. Told once per batch that meets it; the batch stays uncommitted.
   */
  onFatal: (error: unknown) => void;
  /** Injected in tests. */
  sleep?: RetryOptions['sleep'];
}

/** The pipeline's `fail`: resolves once the documents are on the failure topic, or when `signal` aborts. */
export function failureDelivery(
  deps: FailureDeliveryDeps,
): (failures: FailedDocument[], signal: AbortSignal) => Promise<void> {
  const { producer, logger, onFatal, sleep } = deps;
  return async (failures, signal) => {
    for (const f of failures) logFailure(logger, f);
    if (producer === undefined || signal.aborted) return;
    try {
      await retry(() => producer.send(failures), {
        policy: backoff.failureDelivery,
        signal,
        ...(sleep && { sleep }),
        onRetry: (error, attempt, delayMs) =>
          logger.error(
            { err: error, documents: failures.length, attempt, delayMs },
            'producing failed documents failed; retrying',
          ),
      });
    } catch (error) {
      // Shutdown abandoned the batch: it stays uncommitted and is delivered after the restart.
      if (signal.aborted && canRetry(error)) return;
      onFatal(error);
      throw error;
    }
  };
}

function logFailure(logger: Logger, f: FailedDocument): void {
  logger.warn(
    {
      index: f.index,
      id: f.id,
      errorType: f.errorType,
      status: f.status,
      reason: f.reason,
      source: `${f.source.topic}/${f.source.partition}/${f.source.offset}`,
    },
    'document failed to index',
  );
}
