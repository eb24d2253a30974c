// Messages deleted by retention before they were indexed. When the offset the consumer fetches
// from is no longer in the log, the broker answers OFFSET_OUT_OF_RANGE and the client's stream
// moves on by itself (to the log start or end, as KAFKA_CONSUMER_OFFSET_RESET says) and emits
// `offsets` without saying what it skipped. The broker's answer does say it: the fetch traced on
// the client's `consumer:fetches` diagnostics channel carries the offset asked for and the
// partition's log start and end. Only that error counts: the gaps compaction and transaction
// markers leave between offsets are ordinary and never reported.
import { consumerFetchesChannel, type MessagesStream } from '@platformatic/kafka';
import type { kafkaOffsetResets } from '../config/schema.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

/** Kafka's error code for an offset outside the partition's log. */
const offsetOutOfRange = 1;

/** One partition a fetch asked for, and the broker's answer for it. */
export interface RefusedFetch {
  partition: number;
  fetchOffset: bigint;
  logStartOffset: bigint;
  highWatermark: bigint;
}

/** Offsets passed over on a partition: `from` is the first, `to` the one reading goes on from. */
export interface SkippedRange {
  topic: string;
  partition: number;
  from: bigint;
  to: bigint;
  logStartOffset: bigint;
}

/** An offset past the end of the log (the topic was recreated, or truncated): nothing is skipped. */
export interface PastTheEnd {
  topic: string;
  partition: number;
  fetchOffset: bigint;
  highWatermark: bigint;
}

/**
 * Per partition, what a refused fetch asked for, until the client has moved on; and how far
 * skipped offsets are already reported, so that a range is counted once even when the client
 * asks for the same deleted offset again (a rebalance rewinds it to the last commit).
 */
export class OutOfRangeLedger {
  private readonly pending = new Map<number, RefusedFetch>();
  private readonly reportedUpTo = new Map<number, bigint>();

  constructor(private readonly topic: string) {}

  /** The broker refused these fetches as out of range; returns those past the log's end. */
  refused(fetches: RefusedFetch[]): PastTheEnd[] {
    const pastTheEnd: PastTheEnd[] = [];
    for (const fetch of fetches) {
      if (fetch.fetchOffset > fetch.highWatermark) {
        const { partition, fetchOffset, highWatermark } = fetch;
        pastTheEnd.push({ topic: this.topic, partition, fetchOffset, highWatermark });
      } else this.pending.set(fetch.partition, fetch);
    }
    return pastTheEnd;
  }

  /**
   * The client has (perhaps) moved its positions: `position` is where it now reads a partition.
   * Returns each range skipped and not yet reported. A partition whose position has not moved
   * past the refused offset stays pending: its recovery is still to come.
   */
  moved(position: (partition: number) => bigint | undefined): SkippedRange[] {
    const skipped: SkippedRange[] = [];
    for (const [partition, fetch] of this.pending) {
      const to = position(partition);
      if (to === undefined || to <= fetch.fetchOffset) continue;
      this.pending.delete(partition);
      const reported = this.reportedUpTo.get(partition) ?? fetch.fetchOffset;
      const from = reported > fetch.fetchOffset ? reported : fetch.fetchOffset;
      if (to <= from) continue;
      this.reportedUpTo.set(partition, to);
      skipped.push({ topic: this.topic, partition, from, to, logStartOffset: fetch.logStartOffset });
    }
    return skipped;
  }
}

interface FetchRequestTopic {
  topicId?: unknown;
  partitions?: { partition?: unknown; fetchOffset?: unknown }[];
}

interface FetchResponseTopic {
  topicId?: unknown;
  partitions?: {
    partitionIndex?: unknown;
    errorCode?: unknown;
    logStartOffset?: unknown;
    highWatermark?: unknown;
  }[];
}

/**
 * The partitions refused as out of range in one traced fetch (`{ options, error }` of the
 * client's `consumer:fetches` channel), with the offsets asked for; empty for any other error.
 */
export function refusedFetches(traced: unknown): RefusedFetch[] {
  const { options, error } = (traced ?? {}) as {
    options?: { topics?: FetchRequestTopic[] };
    error?: { response?: { responses?: FetchResponseTopic[] } };
  };
  const asked = new Map<string, bigint>();
  for (const topic of options?.topics ?? []) {
    for (const p of topic.partitions ?? []) {
      if (typeof p.fetchOffset === 'bigint')
        asked.set(`${String(topic.topicId)}:${String(p.partition)}`, p.fetchOffset);
    }
  }
  const refused: RefusedFetch[] = [];
  for (const topic of error?.response?.responses ?? []) {
    for (const p of topic.partitions ?? []) {
      if (p.errorCode !== offsetOutOfRange || typeof p.partitionIndex !== 'number') continue;
      const fetchOffset = asked.get(`${String(topic.topicId)}:${p.partitionIndex}`);
      if (fetchOffset === undefined) continue;
      refused.push({
        partition: p.partitionIndex,
        fetchOffset,
        logStartOffset: typeof p.logStartOffset === 'bigint' ? p.logStartOffset : -1n,
        highWatermark: typeof p.highWatermark === 'bigint' ? p.highWatermark : -1n,
      });
    }
  }
  return refused;
}

export type OffsetReset = (typeof kafkaOffsetResets)[number];

/** The one place that logs and counts skipped offsets. */
export function reportSkipped(
  logger: Logger,
  metrics: Metrics,
  reset: OffsetReset,
): { skipped: (range: SkippedRange) => void; pastTheEnd: (fetch: PastTheEnd) => void } {
  return {
    skipped({ topic, partition, from, to, logStartOffset }) {
      const lost = Number(to - from);
      metrics.offsetsSkipped.inc({ reason: 'out_of_range' }, lost);
      const where = `topic ${topic} partition ${partition}`;
      const range = `offsets ${from}–${to - 1n}`;
      logger.error(
        {
          topic,
          partition,
          firstOffset: Number(from),
          lastOffset: Number(to - 1n),
          messages: lost,
          logStartOffset: Number(logStartOffset),
          offsetReset: reset,
        },
        reset === 'earliest'
          ? `messages deleted by retention before they were indexed: ${where}, ${range} lost (${lost} messages); going on from ${to}, the earliest offset kept`
          : `messages skipped: the committed offset of ${where} was deleted by retention; ${range} lost (${lost} messages, deleted or passed over); going on from ${to}, the latest offset (KAFKA_CONSUMER_OFFSET_RESET=latest)`,
      );
    },
    pastTheEnd({ topic, partition, fetchOffset, highWatermark }) {
      logger.warn(
        { topic, partition, fetchOffset: Number(fetchOffset), highWatermark: Number(highWatermark) },
        `the committed offset ${fetchOffset} of topic ${topic} partition ${partition} is past the end of its log (${highWatermark}): the topic was recreated or truncated; reading from the ${reset} offset`,
      );
    },
  };
}

/**
 * Watches one consumer's fetches for offsets out of range and reports what its streams skip.
 * Subscribed until `stop()`; every stream the consumer opens must be `follow`ed.
 */
export class OutOfRangeWatch {
  private readonly ledger: OutOfRangeLedger;
  private readonly onFetchError = (traced: unknown): void => {
    if ((traced as { client?: unknown } | null)?.client !== this.client) return;
    for (const fetch of this.ledger.refused(refusedFetches(traced))) this.report.pastTheEnd(fetch);
  };

  constructor(
    private readonly client: object,
    private readonly topic: string,
    private readonly report: ReturnType<typeof reportSkipped>,
  ) {
    this.ledger = new OutOfRangeLedger(topic);
    consumerFetchesChannel.error.subscribe(this.onFetchError);
  }

  /**
   * The stream emits `offsets` once it has moved its positions, right after the refused fetch
   * (or after asking the brokers where the log starts or ends).
   */
  follow(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>): void {
    stream.on('offsets', () => {
      const position = (partition: number): bigint | undefined =>
        stream.offsetsToFetch.get(`${this.topic}:${partition}`);
      for (const range of this.ledger.moved(position)) this.report.skipped(range);
    });
  }

  stop(): void {
    consumerFetchesChannel.error.unsubscribe(this.onFetchError);
  }
}
