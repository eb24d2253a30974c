// The one table of settings: every environment variable of the Go Arkime Kafka Indexer with the
// same name, type, default and meaning, plus the ones this indexer adds. Validation, defaults,
// --help and the README's table all come from here. Deviations from the Go defaults are marked
// `goDefault` so that they can be listed.
import { maxRequestBytes } from './limits.js';
import {
  boolean,
  duration,
  increasingNumbers,
  integer,
  integerList,
  integerOr,
  listenAddress,
  oneOf,
  port,
  string,
  stringList,
  topicSelection,
  type ValueType,
} from './types.js';

export type Group =
  | 'general'
  | 'kafka'
  | 'producer'
  | 'kafkaTls'
  | 'bulker'
  | 'search'
  | 'transport'
  | 'buffers'
  | 'metrics'
  | 'status';

export const groupTitles: Record<Group, string> = {
  general: 'General',
  kafka: 'Kafka consumer',
  producer: 'Kafka failure producer',
  kafkaTls: 'Kafka TLS and SASL',
  bulker: 'Bulker',
  search: 'Search cluster (Elasticsearch / OpenSearch)',
  transport: 'Search cluster connections',
  buffers: 'Internal buffers',
  metrics: 'Metrics',
  status: 'Status page',
};

export interface Setting<T> {
  env: string;
  type: ValueType<T>;
  group: Group;
  description: string;
  /** The default as text, in the variable's own syntax; absent means required. */
  default?: string;
  /** Never printed, logged or exposed: shown as *** wherever settings are shown. */
  secret?: boolean;
  /** Where our default differs from the Go indexer's, the Go default and why. */
  goDefault?: { value: string; why: string };
  /** Added by this indexer; the Go indexer does not read it. */
  added?: boolean;
  /**
   * Read and validated so that a Go indexer's environment starts this one unchanged, but nothing
   * here uses it: why there is nothing for it to set. `description` then says what it did in Go.
   */
  noEffect?: string;
}

/** What --help, --print-config and the README say of every setting marked `noEffect`. */
export const noEffectNote = 'Accepted for compatibility; no effect';

/** A setting's description as people read it: for one without effect, that comes first, and why. */
export function descriptionOf(setting: Setting<unknown>): string {
  if (setting.noEffect === undefined) return setting.description;
  const goMeaning = setting.description.charAt(0).toLowerCase() + setting.description.slice(1);
  return `${noEffectNote}: ${setting.noEffect}. In the Go indexer: ${goMeaning}`;
}

function setting<T>(definition: Setting<T>): Setting<T> {
  return definition;
}

export const kafkaSaslMechanisms = ['', 'plain', 'scram-sha-256', 'scram-sha-512'] as const;

/** Where the consumer starts when its committed offset is gone or it has none: Kafka's `auto.offset.reset`. */
export const kafkaOffsetResets = ['earliest', 'latest'] as const;

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'panic', 'disabled'] as const;

// Why the Go indexer's queues and idle-connection limits have nothing to set here.
const producedPerBatch =
  'failed documents are produced per batch and awaited before the batch counts as done; no queue holds them';
const idleBounded =
  'idle connections are bounded by ELASTIC_TRANSPORT_MAX_CONNS_PER_HOST and closed after ELASTIC_TRANSPORT_IDLE_CONN_TIMEOUT';

export const schema = {
  port: setting({
    env: 'PORT',
    type: port,
    default: '8080',
    group: 'general',
    description: 'Port for the HTTP server (metrics)',
  }),
  listenAddress: setting({
    env: 'LISTEN_ADDRESS',
    type: listenAddress,
    default: '',
    group: 'general',
    description:
      'Address the HTTP server on PORT listens on: an IP address (127.0.0.1: this host only) or a host name; empty: every interface, IPv4 and IPv6',
    added: true,
  }),
  summaryLogInterval: setting({
    env: 'SUMMARY_LOG_INTERVAL',
    type: duration(),
    default: '30s',
    group: 'general',
    description:
      'How often to log one summary line (documents/s, MB/s, lag, failures, flush reasons since the last line); 0: never',
    added: true,
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    type: oneOf(logLevels),
    default: 'info',
    group: 'general',
    description: 'The level to log at',
    goDefault: { value: 'debug', why: 'debug logs a line per message and bulk, too much for production' },
  }),

  kafkaConsumerBrokers: setting({
    env: 'KAFKA_CONSUMER_BROKERS',
    type: stringList,
    default: 'localhost:9092',
    group: 'kafka',
    description: 'Kafka brokers to consume from (comma list of host:port)',
  }),
  kafkaConsumerTopic: setting({
    env: 'KAFKA_CONSUMER_TOPIC',
    type: topicSelection,
    group: 'kafka',
    description:
      'Kafka topic to consume from; or a comma list of topics; or a regular expression in slashes (/^arkime-.*$/): every topic it matches but the failure topic, those created later found within KAFKA_METADATA_REFRESH',
  }),
  kafkaMetadataRefresh: setting({
    env: 'KAFKA_METADATA_REFRESH',
    type: duration(1000),
    default: '1m',
    group: 'kafka',
    description:
      'How often the topics read are looked at again: a topic created that a regular expression matches, partitions added to a topic, a listed topic deleted or back, a topic deleted and created again are all taken in within this time (the group rebalances when the topics or partitions change)',
    added: true,
  }),
  kafkaConsumerGroupName: setting({
    env: 'KAFKA_CONSUMER_GROUP_NAME',
    type: string,
    group: 'kafka',
    description: 'Name of the Kafka consumer group',
  }),
  kafkaConsumerIncrementalRebalance: setting({
    env: 'KAFKA_CONSUMER_INCREMENTAL_REBALANCE',
    type: boolean,
    default: 'false',
    group: 'kafka',
    description:
      'Rebalance incrementally: only the partitions that must move stop (Kafka 4 consumer group protocol, KIP-848)',
  }),
  kafkaConsumerOffsetReset: setting({
    env: 'KAFKA_CONSUMER_OFFSET_RESET',
    type: oneOf(kafkaOffsetResets),
    default: 'earliest',
    group: 'kafka',
    description:
      "Where to go on when the group's committed offset is no longer in the topic (retention deleted it: one error line, counted in offsets_skipped_total) or the group has none, as Kafka's auto.offset.reset: earliest (the oldest message kept) or latest (only messages produced from then on)",
    added: true,
  }),
  kafkaSessionTimeout: setting({
    env: 'KAFKA_SESSION_TIMEOUT',
    type: duration(1),
    default: '6000ms',
    group: 'kafka',
    description: 'Kafka session timeout length',
  }),
  kafkaStartupWait: setting({
    env: 'KAFKA_STARTUP_WAIT',
    type: duration(),
    default: '0s',
    group: 'kafka',
    description:
      'How long start-up waits for the Kafka brokers to answer (not ready meanwhile, retrying with growing waits) before exiting 1; 0: without end. Refused TLS or SASL settings stop start-up at once',
    added: true,
  }),
  kafkaPollTimeout: setting({
    env: 'KAFKA_POLL_TIMEOUT',
    type: duration(1),
    default: '100ms',
    group: 'kafka',
    description: 'Consumer polling timeout (longest wait of a fetch for new data)',
  }),
  kafkaFlushInterval: setting({
    env: 'KAFKA_FLUSH_INTERVAL',
    type: duration(),
    default: '100ms',
    group: 'kafka',
    description: 'Timeout length when flushing Kafka messages at shutdown',
    noEffect: `nothing is left to flush at shutdown, as ${producedPerBatch}`,
  }),

  kafkaProducerBrokers: setting({
    env: 'KAFKA_PRODUCER_BROKERS',
    type: stringList,
    default: 'localhost:9092',
    group: 'producer',
    description: 'Kafka brokers to produce failed documents to',
  }),
  kafkaProducerTopic: setting({
    env: 'KAFKA_PRODUCER_TOPIC',
    type: string,
    default: '',
    group: 'producer',
    description: 'Kafka topic for documents that failed to index; empty: log and count them only',
  }),
  kafkaProducerMsgTimeout: setting({
    env: 'KAFKA_PRODUCER_MSG_TIMEOUT',
    type: duration(1),
    default: '30s',
    group: 'producer',
    description: 'Produced message timeout',
  }),
  kafkaProducerMsgRetries: setting({
    env: 'KAFKA_PRODUCER_MSG_RETRIES',
    type: integer(),
    default: '100',
    group: 'producer',
    description: 'Maximum of retries for a produced message',
  }),
  kafkaProducerFullQueueCooldown: setting({
    env: 'KAFKA_PRODUCER_FULL_QUEUE_COOLDOWN',
    type: duration(),
    default: '1s',
    group: 'producer',
    description: 'How long to wait after a producer full queue error before retrying',
  }),
  kafkaProducerLogDeliveryReports: setting({
    env: 'KAFKA_PRODUCER_LOG_DELIVERY_REPORTS',
    type: boolean,
    default: 'true',
    group: 'producer',
    description: 'Should the delivery reports be logged',
  }),

  kafkaSslCaLocation: setting({
    env: 'KAFKA_SSL_CA_LOCATION',
    type: string,
    default: '',
    group: 'kafkaTls',
    description: 'Path to the CA cert used for signing certs',
  }),
  kafkaSslCertLocation: setting({
    env: 'KAFKA_SSL_CERT_LOCATION',
    type: string,
    default: '',
    group: 'kafkaTls',
    description: 'Path to the client certificate',
  }),
  kafkaSslKeyLocation: setting({
    env: 'KAFKA_SSL_KEY_LOCATION',
    type: string,
    default: '',
    group: 'kafkaTls',
    description: 'Path to the client key',
  }),
  kafkaSslKeyPassword: setting({
    env: 'KAFKA_SSL_KEY_PASSWORD',
    type: string,
    default: '',
    secret: true,
    group: 'kafkaTls',
    description: 'Password of the client key',
  }),
  kafkaSaslMechanism: setting({
    env: 'KAFKA_SASL_MECHANISM',
    type: oneOf(kafkaSaslMechanisms),
    default: '',
    group: 'kafkaTls',
    description:
      'SASL mechanism for the consumer and the failure producer (over TLS when a CA is set); empty: no SASL',
    added: true,
  }),
  kafkaSaslUsername: setting({
    env: 'KAFKA_SASL_USERNAME',
    type: string,
    default: '',
    group: 'kafkaTls',
    description: 'SASL user name',
    added: true,
  }),
  kafkaSaslPassword: setting({
    env: 'KAFKA_SASL_PASSWORD',
    type: string,
    default: '',
    secret: true,
    group: 'kafkaTls',
    description: 'SASL password',
    added: true,
  }),

  bulkerFlushInterval: setting({
    env: 'BULKER_FLUSH_INTERVAL',
    type: duration(1),
    default: '10s',
    group: 'bulker',
    description: 'Maximum amount of time to buffer messages before sending them to ES',
  }),
  bulkerMaxMessages: setting({
    env: 'BULKER_MAX_MESSAGES',
    type: integer(1),
    default: '100',
    group: 'bulker',
    description: 'Maximum number of messages to buffer before sending them to ES',
  }),
  bulkerMaxBytes: setting({
    env: 'BULKER_MAX_BYTES',
    type: integer(1, maxRequestBytes),
    default: '10_485_760',
    group: 'bulker',
    description: `Maximum number of bytes to buffer before sending them to ES (at most ${maxRequestBytes / 1024 / 1024} MiB)`,
  }),

  elasticService: setting({
    env: 'ELASTIC_SERVICE',
    type: stringList,
    group: 'search',
    description:
      'The address of an Elasticsearch node, the client will discover the rest of nodes (host, or comma list of hosts)',
  }),
  elasticServicePort: setting({
    env: 'ELASTIC_SERVICE_PORT',
    type: port,
    default: '9200',
    group: 'search',
    description: 'The ES HTTP port',
  }),
  elasticUseHttps: setting({
    env: 'ELASTIC_USE_HTTPS',
    type: boolean,
    default: 'false',
    group: 'search',
    description: 'Talk HTTPS to the search cluster',
    added: true,
  }),
  elasticUsername: setting({
    env: 'ELASTIC_USERNAME',
    type: string,
    default: '',
    group: 'search',
    description: 'Basic authentication user',
    added: true,
  }),
  elasticPassword: setting({
    env: 'ELASTIC_PASSWORD',
    type: string,
    default: '',
    secret: true,
    group: 'search',
    description: 'Basic authentication password',
    added: true,
  }),
  elasticApiKey: setting({
    env: 'ELASTIC_API_KEY',
    type: string,
    default: '',
    secret: true,
    group: 'search',
    description: 'API key (the base64 "id:key" form), sent as Authorization: ApiKey',
    added: true,
  }),
  elasticServiceToken: setting({
    env: 'ELASTIC_SERVICE_TOKEN',
    type: string,
    default: '',
    secret: true,
    group: 'search',
    description: 'Service account token, sent as Authorization: Bearer',
    added: true,
  }),
  elasticSslCaLocation: setting({
    env: 'ELASTIC_SSL_CA_LOCATION',
    type: string,
    default: '',
    group: 'search',
    description:
      "PEM file of the certificate authorities that sign the search nodes' certificates (HTTPS); empty: the system CAs",
    added: true,
  }),
  elasticCloudId: setting({
    env: 'ELASTIC_CLOUD_ID',
    type: string,
    default: '',
    group: 'search',
    description:
      'Elastic Cloud deployment ID; replaces ELASTIC_SERVICE, ELASTIC_SERVICE_PORT and ELASTIC_USE_HTTPS',
    added: true,
  }),
  // Amazon OpenSearch Service with IAM (src/search/aws/). Named after Arkime's esProxySigV4,
  // esProxySigV4Region and esProxySigV4Service; SIGV4 in each, since ELASTIC_SERVICE already
  // means the node address. Credentials come from the AWS chain (AWS_* variables, profiles, web
  // identity, ECS, IMDSv2), so no key setting here: fewer secrets of our own to keep.
  elasticAwsSigv4: setting({
    env: 'ELASTIC_AWS_SIGV4',
    type: boolean,
    default: 'false',
    group: 'search',
    description:
      'Sign every search request with AWS Signature V4 (Amazon OpenSearch Service with IAM), credentials from the standard AWS chain; excludes the other ELASTIC_* authentication settings',
    added: true,
  }),
  elasticAwsSigv4Region: setting({
    env: 'ELASTIC_AWS_SIGV4_REGION',
    type: string,
    default: '',
    group: 'search',
    description:
      "The domain's AWS region for ELASTIC_AWS_SIGV4; empty: AWS_REGION, else the profile's region, else the instance metadata's",
    added: true,
  }),
  elasticAwsSigv4Service: setting({
    env: 'ELASTIC_AWS_SIGV4_SERVICE',
    type: string,
    default: 'es',
    group: 'search',
    description:
      'The service name signed for ELASTIC_AWS_SIGV4: es (Amazon OpenSearch Service); aoss (Serverless) is refused, as Arkime does not support it',
    added: true,
  }),
  elasticAllowedIndices: setting({
    env: 'ELASTIC_ALLOWED_INDICES',
    type: stringList,
    default: '*',
    group: 'search',
    description:
      'Index patterns (comma list, * wildcard) messages may write to; a document aimed elsewhere goes to the failure topic as not_allowed',
    added: true,
  }),
  elasticAllowedActions: setting({
    env: 'ELASTIC_ALLOWED_ACTIONS',
    type: stringList,
    default: 'index,create,update,delete',
    group: 'search',
    description:
      'Bulk actions (comma list) messages may use; a document with another action goes to the failure topic as not_allowed',
    added: true,
  }),
  elasticClientCompressRequests: setting({
    env: 'ELASTIC_CLIENT_COMPRESS_REQUESTS',
    type: boolean,
    default: 'false',
    group: 'search',
    description: 'Send bulk request bodies gzip-compressed (less network, more indexer CPU)',
    added: true,
  }),
  elasticIndexerInstances: setting({
    env: 'ELASTIC_INDEXER_INSTANCES',
    type: integerOr('adaptive', 1, 256),
    default: 'adaptive',
    group: 'search',
    description:
      'The number of parallel indexers to use (bulk requests in flight). adaptive: from 1 up to ELASTIC_INDEXER_MAX_INSTANCES, rising while bulk round trips stay fast and falling when they slow down or the cluster rejects writes (429); see docs/concurrency.md',
    goDefault: {
      value: '1',
      why: 'one bulk in flight leaves a cluster a few milliseconds away idle most of the time (measured: 1,522 docs/s with the cluster 10 ms away each way, 4,060 with 8 in flight), and the right number changes with the cluster. A number set keeps the Go meaning: exactly that many',
    },
  }),
  elasticIndexerMaxInstances: setting({
    env: 'ELASTIC_INDEXER_MAX_INSTANCES',
    type: integer(1, 256),
    default: '16',
    group: 'search',
    description: 'The most bulk requests in flight when ELASTIC_INDEXER_INSTANCES is adaptive',
    added: true,
  }),
  elasticClientMaxRetries: setting({
    env: 'ELASTIC_CLIENT_MAX_RETRIES',
    type: integer(),
    default: '10',
    group: 'search',
    description: 'Number of retries when communicating with ES',
  }),
  elasticClientRetryStatuses: setting({
    env: 'ELASTIC_CLIENT_RETRY_STATUSES',
    type: integerList(100, 599),
    default: '502,503,504,429',
    group: 'search',
    description: 'Which HTTP status codes to retry',
  }),
  elasticClientDiscoverNodes: setting({
    env: 'ELASTIC_CLIENT_DISCOVER_NODES',
    type: boolean,
    default: 'true',
    group: 'search',
    description: 'Should the client discover the other ES nodes',
  }),
  elasticClientDiscoverInterval: setting({
    env: 'ELASTIC_CLIENT_DISCOVER_INTERVAL',
    type: duration(),
    default: '1h',
    group: 'search',
    description: 'Interval between updates of the list of ES connections',
  }),
  elasticClientBulkTimeout: setting({
    env: 'ELASTIC_CLIENT_BULK_TIMEOUT',
    type: duration(1),
    default: '1m',
    group: 'search',
    description:
      'The timeout duration for the Bulk call: its `timeout` parameter, how long each document may wait for index creation, mapping updates and active shards. Must be below ELASTIC_REQUEST_TIMEOUT',
    goDefault: {
      value: '500ms',
      why: "creating a daily index with the sessions3 template can take longer; every document waiting on it then fails (seen here: 503 process_cluster_event_timeout_exception). 1m is the servers' own default",
    },
  }),
  elasticRequestTimeout: setting({
    env: 'ELASTIC_REQUEST_TIMEOUT',
    type: duration(1),
    default: '90s',
    group: 'search',
    description:
      "How long a bulk request waits for the answer's headers, and then between parts of its body, before it is given up and sent again (never dead-lettered for it). It must be above ELASTIC_CLIENT_BULK_TIMEOUT, which the node may spend waiting before it answers (checked at start-up); unset, it is at least ELASTIC_CLIENT_BULK_TIMEOUT + 30s. A request given up may still be applied by the node: documents without an _id are then indexed twice unless ELASTIC_DETERMINISTIC_IDS is on, as after any resend whose answer was lost",
    added: true,
  }),
  elasticClientMaxDeadPercentage: setting({
    env: 'ELASTIC_CLIENT_MAX_DEAD_PERCENTAGE',
    type: integer(0, 100),
    default: '20',
    group: 'search',
    description: 'The maximum percentage of dead ES connections',
  }),
  elasticClientRetryMaxInterval: setting({
    env: 'ELASTIC_CLIENT_RETRY_MAX_INTERVAL',
    type: duration(1),
    default: '30s',
    group: 'search',
    description:
      'Longest wait between two tries of a bulk request (the backoff doubles from 50ms up to this)',
    added: true,
  }),
  elasticClientRetryGiveUpAfter: setting({
    env: 'ELASTIC_CLIENT_RETRY_GIVE_UP_AFTER',
    type: duration(),
    default: '0',
    group: 'search',
    description:
      'How long to keep retrying documents the cluster cannot take before sending them to the failure topic; 0: never give up (an outage costs delay, not data)',
    added: true,
  }),
  elasticDeterministicIds: setting({
    env: 'ELASTIC_DETERMINISTIC_IDS',
    type: boolean,
    default: 'true',
    group: 'search',
    description:
      "Give documents that arrive without an _id (Arkime's doc format) one derived from the topic's id, partition, offset and position, in Arkime's own shape (the index's day, a dash, a hash: as capture writes them, so that Arkime's viewer opens the session), so that messages read again after a crash or a lost answer overwrite instead of duplicating sessions (Kafka Connect's sink derives ids by default too). A topic deleted and created again gets new ids. Off: the cluster picks ids, and every document read twice is indexed twice",
    added: true,
  }),

  elasticTransportDialTimeout: setting({
    env: 'ELASTIC_TRANSPORT_DIAL_TIMEOUT',
    type: duration(1),
    default: '2s',
    group: 'transport',
    description: 'Timeout for opening a connection',
  }),
  elasticTransportDialKeepAlive: setting({
    env: 'ELASTIC_TRANSPORT_DIAL_KEEPALIVE',
    type: duration(),
    default: '5s',
    group: 'transport',
    description: 'TCP keep-alive probe interval of connections',
  }),
  elasticTransportMaxIdleConns: setting({
    env: 'ELASTIC_TRANSPORT_MAX_IDLE_CONNS',
    type: integer(),
    default: '100',
    group: 'transport',
    description: 'Idle connections kept, all nodes together',
    noEffect: idleBounded,
  }),
  elasticTransportMaxIdleConnsPerHost: setting({
    env: 'ELASTIC_TRANSPORT_MAX_IDLE_CONNS_PER_HOST',
    type: integer(),
    default: '100',
    group: 'transport',
    description: 'Idle connections kept per node',
    noEffect: idleBounded,
  }),
  elasticTransportMaxConnsPerHost: setting({
    env: 'ELASTIC_TRANSPORT_MAX_CONNS_PER_HOST',
    type: integer(1),
    default: '100',
    group: 'transport',
    description: 'Connections per node at most',
  }),
  elasticTransportIdleConnTimeout: setting({
    env: 'ELASTIC_TRANSPORT_IDLE_CONN_TIMEOUT',
    type: duration(1),
    default: '10s',
    group: 'transport',
    description: 'How long an idle connection is kept open',
  }),
  elasticTransportExpectContinueTimeout: setting({
    env: 'ELASTIC_TRANSPORT_EXPECT_CONTINUE_TIMEOUT',
    type: duration(),
    default: '1s',
    group: 'transport',
    description: "How long to wait for the cluster's 100-continue answer before sending a request body",
    noEffect: 'bulk requests are sent without Expect: 100-continue',
  }),

  maxBufferedBytes: setting({
    env: 'MAX_BUFFERED_BYTES',
    type: integer(1024 * 1024),
    default: '67_108_864',
    group: 'buffers',
    description:
      'Bytes of messages taken from Kafka and not yet done (waiting in the bulker or in flight) at most; fetching pauses above it',
    added: true,
  }),
  consumerChannelBufferSize: setting({
    env: 'CONSUMER_CHANNEL_BUFFER_SIZE',
    type: integer(1),
    default: '10',
    group: 'buffers',
    description:
      'Kafka messages read ahead of the bulker; the read-ahead is this many messages or one 2 MiB fetch, whichever is more',
  }),
  errorChannelBufferSize: setting({
    env: 'ERROR_CHANNEL_BUFFER_SIZE',
    type: integer(1),
    default: '10',
    group: 'buffers',
    description: 'Failed bulks waiting for the failure producer, per indexer',
    noEffect: producedPerBatch,
  }),
  producerChannelBufferSize: setting({
    env: 'PRODUCER_CHANNEL_BUFFER_SIZE',
    type: integer(1),
    default: '10',
    group: 'buffers',
    description: 'Failed documents queued for the failure producer',
    noEffect: producedPerBatch,
  }),

  metricsNamespace: setting({
    env: 'METRICS_NAMESPACE',
    type: string,
    default: 'arkime',
    group: 'metrics',
    description: 'Prefix of every metric name',
  }),
  metricsSubsystem: setting({
    env: 'METRICS_SUBSYSTEM',
    type: string,
    default: 'kafkaindexer',
    group: 'metrics',
    description: 'Second part of every metric name',
  }),
  metricsPath: setting({
    env: 'METRICS_PATH',
    type: string,
    default: '/metrics',
    group: 'metrics',
    description: 'HTTP path of the Prometheus metrics',
  }),
  metricsFlushedBytesBuckets: setting({
    env: 'METRICS_FLUSHED_BYTES_BUCKETS',
    type: increasingNumbers,
    default: '50_000,100_000,500_000,1_000_000,5_000_000,25_000_000,50_000_000,75_000_000',
    group: 'metrics',
    description: 'Histogram buckets of bytes per bulk flush',
  }),
  metricsFlushedMsgsBuckets: setting({
    env: 'METRICS_FLUSHED_MSGS_BUCKETS',
    type: increasingNumbers,
    default: '2,4,8,16,32,64,128,256',
    group: 'metrics',
    description: 'Histogram buckets of messages per bulk flush',
  }),

  statusUsername: setting({
    env: 'STATUS_USERNAME',
    type: string,
    default: 'admin',
    group: 'status',
    description: 'User name the status page (/ and /status.json) asks for, with STATUS_PASSWORD',
    added: true,
  }),
  statusPassword: setting({
    env: 'STATUS_PASSWORD',
    type: string,
    default: '',
    secret: true,
    group: 'status',
    description:
      'Password of the status page (/ and /status.json), asked by basic authentication; empty: the page is open to anyone who reaches PORT. /metrics, /healthz and /readyz never ask',
    added: true,
  }),
  statusShowFieldValues: setting({
    env: 'STATUS_SHOW_FIELD_VALUES',
    type: boolean,
    default: 'false',
    group: 'status',
    description:
      'Show on the status page the field values the search cluster quotes in its errors ("Preview of field\'s value: …"); false: shown as (hidden). The log keeps them either way',
    added: true,
  }),
} as const;

export type Schema = typeof schema;
export type Config = { readonly [K in keyof Schema]: Schema[K] extends Setting<infer T> ? T : never };
