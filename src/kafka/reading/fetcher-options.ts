// What a fetcher (./fetcher.ts) is given: its limits and pacing, what it may ask the client and the
// brokers, and whom it tells what it meets; and the options the configuration gives it.
import type { ConnectionPool, Consumer } from '@platformatic/kafka';
import type { Config } from '../../config/schema.js';
import type { CommitPosition } from '../../records.js';
import type { CommittedSource } from './committed.js';
import type { FetchLimits } from './fetch-request.js';
import type { Leases } from './leases.js';
import type { OutOfRangeLedger, reportSkipped } from './out-of-range.js';
import type { OffsetReset } from './positions.js';
import type { MetadataSource } from './topic-metadata.js';

export interface ReadAheadLimits {
  /** Fetch no more once this many message bytes wait for the pipeline… */
  bytes: number;
  /** …and at least this many messages. */
  messages: number;
}

export interface FetcherOptions {
  topics: readonly string[];
  limits: FetchLimits;
  readAhead: ReadAheadLimits;
  reset: OffsetReset;
  /** Failed fetches in a row from one broker (or metadata reads) before reading fails. */
  retries: number;
  /** The pause after a failure, times the failures in a row (ms). */
  retryDelayMs: number;
  /** How often the metadata is read while all is well (KAFKA_METADATA_REFRESH). */
  metadataRefreshMs: number;
  /** How long a partition with a batch that cannot be read waits before it is asked again. */
  unreadableRetryMs: number;
  report: ReturnType<typeof reportSkipped>;
  /** Per topic, what was skipped as out of range: kept by the owner, so that a range is reported once across fetchers. */
  ledger: (topic: string) => OutOfRangeLedger;
}

/** What the fetcher tells its owner, who logs, counts and commits. */
export interface FetcherEvents {
  /** A topic read has another id now: it was deleted and created again. */
  recreated(topic: string, previousTopicId: string, topicId: string): void;
  /** Positions chosen by KAFKA_CONSUMER_OFFSET_RESET, with no commit to go by: to commit now. */
  started(positions: CommitPosition[]): void;
  /** A batch of a partition cannot be read: the partition waits, the others go on. */
  unreadable(topic: string, partition: number, offset: bigint, reason: string): void;
  /** The leader's log diverged from what was read (KIP-320): reading goes on from `to`. */
  truncated(topic: string, partition: number, from: bigint, to: bigint): void;
  /** Topics read that the brokers do not know now (deleted): the subscription should look again. */
  missing(topics: string[]): void;
}

export interface FetcherDeps {
  group: Pick<Consumer<Buffer, Buffer, Buffer, Buffer>, 'listOffsets'>;
  committed: CommittedSource;
  pool: Pick<ConnectionPool, 'get'>;
  metadata: MetadataSource;
  leases: Leases;
  events: FetcherEvents;
}

/**
 * `maxBytes`: at most this much per fetch response (a larger record batch still comes whole).
 * One large response (the client's default is 50 MB) is held twice, as the socket's chunks and as
 * the contiguous copy the record batches are walked in, before the pipeline sees it: 2 MiB
 * fetches cost no more CPU per message and keep less resident (docs/benchmarks-history.md).
 * `maxWaitTime`: what the failure topic's reader waits for (the consumer: KAFKA_POLL_TIMEOUT).
 */
export const fetchDefaults = { maxBytes: 2 * 1024 * 1024, maxWaitTime: 100 };

/**
 * Bytes of messages read ahead of the pipeline (and at least CONSUMER_CHANNEL_BUFFER_SIZE
 * messages): one fetch. Fetching resumes as the pipeline takes them, so the next fetch travels
 * while it works through them; more would only keep more messages alive (and promoted into V8's
 * old generation) without less waiting.
 */
export const readAheadBytes = fetchDefaults.maxBytes;

/** How long a partition holding a batch that cannot be read waits before it is asked again. */
export const unreadableRetryMs = 30_000;

export type FetcherConfig = Pick<
  Config,
  'kafkaPollTimeout' | 'consumerChannelBufferSize' | 'kafkaConsumerOffsetReset' | 'kafkaMetadataRefresh'
>;

/** The fetcher's options from the configuration. */
export function fetcherOptions(
  config: FetcherConfig,
  topics: readonly string[],
  report: FetcherOptions['report'],
  ledger: FetcherOptions['ledger'],
): FetcherOptions {
  return {
    topics,
    limits: {
      maxWaitMs: config.kafkaPollTimeout,
      maxBytes: fetchDefaults.maxBytes,
      isolationLevel: 1, // read_committed, as the client's stream read
    },
    readAhead: { bytes: readAheadBytes, messages: config.consumerChannelBufferSize },
    reset: config.kafkaConsumerOffsetReset,
    retries: 3,
    retryDelayMs: 250,
    metadataRefreshMs: config.kafkaMetadataRefresh,
    unreadableRetryMs,
    report,
    ledger,
  };
}
