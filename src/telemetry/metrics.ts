// Every Prometheus metric of the indexer, named as the Go indexer names them
// (<namespace>_<subsystem>_<name>) so that existing dashboards keep working.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { PartitionBehind } from '../records.js';

// The Go indexer's buckets for consumed/produced message sizes.
const messageSizeBuckets = [256, 384, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 4096];
// A bulk request takes milliseconds when all is well and up to the bulk timeout (1 minute) when not.
const bulkDurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
// From a second (capture's producer batching, the flush interval) to a day (an outage waited out).
const delayBuckets = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 21_600, 86_400];

export type MetricsConfig = Pick<
  Config,
  'metricsNamespace' | 'metricsSubsystem' | 'metricsFlushedBytesBuckets' | 'metricsFlushedMsgsBuckets'
>;

export function createMetrics(config: MetricsConfig) {
  const registry = new Registry();
  const prefix = [config.metricsNamespace, config.metricsSubsystem].filter((p) => p !== '').join('_');
  const name = (n: string): string => (prefix === '' ? n : `${prefix}_${n}`);
  const counter = <L extends string = never>(n: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name: name(n), help, labelNames, registers: [registry] });
  const gauge = (n: string, help: string) => new Gauge({ name: name(n), help, registers: [registry] });
  const histogram = <L extends string = never>(
    n: string,
    help: string,
    buckets: number[],
    labelNames: readonly L[] = [],
  ) => new Histogram<L>({ name: name(n), help, buckets, labelNames, registers: [registry] });
  const labelledGauge = <L extends string>(n: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name: name(n), help, labelNames, registers: [registry] });

  collectDefaultMetrics({ register: registry });
  const behind = { source: (): readonly PartitionBehind[] => [] };

  const metrics = {
    registry,
    consumedMessageBytes: histogram(
      'msgs_consumed_bytes',
      'The size in bytes of the payload consumed',
      messageSizeBuckets,
    ),
    consumedMessages: counter('msgs_consumed_total', 'Kafka messages consumed'),
    consumeErrors: counter('consume_errors_total', 'Errors reported by the Kafka consumer'),
    rejectedMessages: counter(
      'rejected_messages_total',
      'Messages refused whole before indexing, by reason',
      ['reason'],
    ),
    producedMessageBytes: histogram(
      'msgs_produced_bytes',
      'The size in bytes of the payload produced',
      messageSizeBuckets,
    ),
    lostAssignments: counter('partition_assignment_lost_total', 'Total number of lost partition assignments'),
    rebalances: counter('rebalance_total', 'Total number of rebalances', ['reason']),
    offsetCommits: counter('offset_commit_total', 'Total number of offset commits'),
    flushedMessages: histogram(
      'bulk_flushed_msgs_total',
      'Number of msgs flushed when bulking',
      config.metricsFlushedMsgsBuckets,
    ),
    flushedBytes: histogram(
      'bulk_flushed_msgs_bytes',
      'Amount of bytes flushed when bulking',
      config.metricsFlushedBytesBuckets,
    ),
    flushReasons: counter('bulk_flush_reason_total', 'Reason for a bulk flush', ['reason']),
    indexedDocuments: counter('indexed_documents_total', 'Number of indexed documents'),
    indexedBytes: counter('indexed_documents_bytes', 'Indexed documents total bytes'),
    failedDocuments: counter('session_index_failure_total', 'Session bulk index failure count'),
    failedDocumentBytes: counter(
      'session_index_failure_bytes',
      'Bytes of the documents that failed to index',
    ),
    failedByReason: counter(
      'documents_failed_total',
      'Documents (or refused messages) that failed, by error type',
      ['reason'],
    ),
    bufferedBytes: gauge('buffered_bytes', 'Bytes of messages taken from Kafka and not yet done'),
    inFlightRequests: gauge('in_flight_bulk_requests', 'Bulk requests being sent or retried'),
    concurrencyLimit: gauge(
      'bulk_concurrency_limit',
      'Bulk requests allowed in flight now: ELASTIC_INDEXER_INSTANCES, or the adaptive limit',
    ),
    concurrencyRtt: gauge(
      'bulk_concurrency_rtt_seconds',
      'The bulk round-trip time the adaptive limit is judged by (its moving baseline); 0 when fixed',
    ),
    concurrencyDecreases: counter(
      'bulk_concurrency_decreases_total',
      'Times the adaptive limit was lowered, by reason: back_pressure (429, rejected writes, no answer) or rtt (round trips slowed)',
      ['reason'],
    ),
    fetchPaused: gauge(
      'fetch_paused',
      '1 while fetching waits for a free indexer or for MAX_BUFFERED_BYTES to free up',
    ),
    fetchPausedSeconds: counter(
      'fetch_paused_seconds_total',
      'Time spent not fetching, by reason: max_buffered_bytes (MAX_BUFFERED_BYTES reached) or indexers_busy (ELASTIC_INDEXER_INSTANCES requests in flight)',
      ['reason'],
    ),
    searchUnavailable: gauge(
      'search_cluster_unavailable',
      '1 while bulk requests keep failing (ELASTIC_CLIENT_MAX_RETRIES tries in a row)',
    ),
    bulkCalls: counter('bulk_index_total', 'Number of Bulk Index calls'),
    bulkErrors: counter('bulk_index_error_total', 'Number of Bulk Index calls with errors'),
    bulkRetries: counter('bulk_index_retry_total', 'Number of Bulk Index calls retried'),
    // Search nodes (src/search/node-pool.ts): the Go indexer's es_client_* names where it had one.
    searchNodes: gauge('es_client_total_connections_total', 'Search nodes in the pool, alive and dead'),
    deadSearchNodes: gauge(
      'es_client_dead_connections_total',
      'Search nodes out of rotation after a request got no HTTP answer',
    ),
    searchClientReloads: counter(
      'es_client_reloads_total',
      'Node rediscoveries because ELASTIC_CLIENT_MAX_DEAD_PERCENTAGE of the nodes were dead',
    ),
    searchNodeRequests: counter('es_client_requests_total', 'Requests sent to the search nodes, by node', [
      'url',
    ]),
    searchNodeFailures: counter(
      'es_client_connection_failures_total',
      'Requests that got no HTTP answer, by node',
      ['url'],
    ),
    bulkCompressSeconds: counter(
      'bulk_compress_seconds_total',
      'Time spent gzip-compressing bulk bodies (ELASTIC_CLIENT_COMPRESS_REQUESTS)',
    ),
    bulkCompressBytes: counter('bulk_compress_bytes_total', 'Bulk body bytes before and after gzip', [
      'stage',
    ]),
    produced: counter(
      'msg_produced_success_total',
      'How many messages were produced successfully according to delivery reports',
    ),
    produceErrors: counter(
      'msg_produced_fail_total',
      'How many messages were produced unsuccessfully according to delivery reports',
    ),

    // Operations: what a dashboard and an on-call engineer need beyond the Go indexer's set.
    consumerLag: labelledGauge(
      'consumer_lag_messages',
      "Messages in the partition after the group's committed offset (log end offset - committed offset), per assigned partition",
      ['topic', 'partition'],
    ),
    consumerLagSeconds: new Gauge({
      name: name('consumer_lag_seconds'),
      help: 'Seconds behind capture, per partition read: the age of the oldest message taken and not yet indexed (now minus its record timestamp); 0 when none waits, NaN when that record has no timestamp. timestamp_type log_append_time: seconds since the broker stored it',
      labelNames: ['topic', 'partition', 'timestamp_type'] as const,
      registers: [registry],
      // Read at each scrape, not sampled: the age grows every second a message waits.
      collect() {
        this.reset();
        for (const row of behind.source()) {
          const labels = {
            topic: row.topic,
            partition: String(row.partition),
            timestamp_type: row.logAppendTime ? 'log_append_time' : 'create_time',
          };
          this.set(labels, row.seconds ?? Number.NaN);
        }
      },
    }),
    /** Where consumer_lag_seconds is read from: the pipeline, once there is one. */
    readBehindFrom(source: () => readonly PartitionBehind[]): void {
      behind.source = source;
    },
    indexingDelay: histogram(
      'indexing_delay_seconds',
      "From a record's timestamp to the search cluster's acknowledgement of its documents (or the failure topic's)",
      delayBuckets,
    ),
    inFlightBytes: gauge('in_flight_bytes', 'Bytes of the messages in bulk requests being sent or retried'),
    bulkDuration: histogram(
      'bulk_request_duration_seconds',
      'Time from sending one _bulk request to its whole answer, by outcome: ok, item_errors, refused (the whole request), unreachable (no answer)',
      bulkDurationBuckets,
      ['outcome'],
    ),
    offsetsSkipped: counter(
      'offsets_skipped_total',
      'Kafka offsets passed over without being indexed, by reason: out_of_range (deleted by retention before they were indexed; with KAFKA_CONSUMER_OFFSET_RESET=latest, also those kept but passed over)',
      ['reason'],
    ),
    topicRecreations: counter(
      'topic_recreations_total',
      'Topics read that were found deleted and created again (another topic id): read again from KAFKA_CONSUMER_OFFSET_RESET',
      ['topic'],
    ),
    topicsMissing: gauge(
      'topics_missing',
      'Topics named in KAFKA_CONSUMER_TOPIC that do not exist now: the others are read',
    ),
    unreadableBatches: counter(
      'unreadable_batches_total',
      'Record batches that could not be read (failed their CRC32C check, or malformed): the partition waits, the others go on',
      ['topic', 'partition'],
    ),
    logTruncations: counter(
      'log_truncations_total',
      'Partitions whose log was truncated below what had been read (an unclean leader election, KIP-320): read again from where the logs agree',
      ['topic'],
    ),
    retriedDocuments: counter(
      'documents_retried_total',
      'Documents the cluster answered with a retryable error (sent again unless ELASTIC_CLIENT_RETRY_GIVE_UP_AFTER has passed), by error type',
      ['reason'],
    ),
  };
  // Exposed at 0 from the start: a series that first appears at 780 shows no increase().
  metrics.offsetsSkipped.inc({ reason: 'out_of_range' }, 0);
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
