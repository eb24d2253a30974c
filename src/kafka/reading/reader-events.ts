// The one place that logs and counts what the reader meets: the assignment changing, a topic
// created again, a batch that cannot be read, a log truncated under it. Each event writes its log
// line and its counter together; a partition stuck on one unreadable batch is logged once, not at
// every try.
import type { Assignment } from '../../records.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Metrics } from '../../telemetry/metrics.js';
import type { FetcherEvents } from './fetcher-options.js';
import type { OffsetReset } from './positions.js';

export type ReaderMetrics = Pick<
  Metrics,
  'topicRecreations' | 'unreadableBatches' | 'logTruncations' | 'rebalances' | 'lostAssignments'
>;

export interface ReaderReports extends Omit<FetcherEvents, 'started' | 'missing'> {
  /** The partitions this member owns changed, after a join or (KIP-848) a heartbeat. */
  assignmentChanged(
    topics: readonly string[],
    owned: Assignment[],
    added: Assignment[],
    revoked: Assignment[],
  ): void;
}

export function readerReports(
  logger: Logger,
  metrics: ReaderMetrics,
  offsetReset: OffsetReset,
): ReaderReports {
  const reportedAt = new Map<string, bigint>();
  return {
    assignmentChanged(topics, owned, added, revoked) {
      // Bare partition numbers while one topic is read (it is named in `topic`); "topic:partition"
      // when several are, to tell them apart.
      const single = topics.length <= 1;
      const partitions = (list: Assignment[]): (number | string)[] =>
        list.map((a) => (single ? a.partition : `${a.topic}:${a.partition}`));
      logger.info(
        {
          topic: topics.join(','),
          partitions: partitions(owned),
          added: partitions(added),
          revoked: partitions(revoked),
        },
        'partition assignment changed',
      );
      if (added.length > 0) metrics.rebalances.inc({ reason: 'assigned' });
      if (revoked.length > 0) {
        metrics.rebalances.inc({ reason: 'revoked' });
        metrics.lostAssignments.inc(revoked.length);
      }
    },
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
