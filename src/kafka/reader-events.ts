// The one place that logs and counts what the reader meets in the topics it reads: a topic
// created again, a batch that cannot be read, a log truncated under it. Each event writes its log
// line and its counter together; a partition stuck on one unreadable batch is logged once, not at
// every try.
import type { OffsetReset } from './out-of-range.js';
import type { FetcherEvents } from './fetcher.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

export type ReaderMetrics = Pick<Metrics, 'topicRecreations' | 'unreadableBatches' | 'logTruncations'>;

/** The reports of `FetcherEvents`; `started` is the caller's (it commits). */
export function readerReports(
  logger: Logger,
  metrics: ReaderMetrics,
  offsetReset: OffsetReset,
): Omit<FetcherEvents, 'started' | 'missing'> {
  const reportedAt = new Map<string, bigint>();
  return {
    recreated(topic, previousTopicId, topicId) {
      metrics.topicRecreations.inc({ topic });
      logger.warn(
        { topic, previousTopicId, topicId, offsetReset },
        'topic recreated (a new topic id): reading it again from KAFKA_CONSUMER_OFFSET_RESET',
      );
    },
    unreadable(topic, partition, offset, reason) {
      metrics.unreadableBatches.inc({ topic, partition: String(partition) });
      const key = `${topic}\u0000${partition}`;
      const fields = { topic, partition, offset: Number(offset), reason };
      if (reportedAt.get(key) === offset) {
        logger.debug(fields, 'the unreadable record batch is still unreadable');
        return;
      }
      reportedAt.set(key, offset);
      logger.error(fields, 'unreadable record batch: this partition waits, the others go on');
    },
    truncated(topic, partition, from, to) {
      metrics.logTruncations.inc({ topic });
      logger.error(
        { topic, partition, fetchOffset: Number(from), nextOffset: Number(to) },
        "log truncated below what was read (an unclean leader election): reading again from where the leader's log agrees",
      );
    },
  };
}
