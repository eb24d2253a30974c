// Messages deleted by retention before they were indexed. When the offset the consumer fetches
// from is no longer in the log, the broker answers OFFSET_OUT_OF_RANGE (with -1 for the log's
// start and end) and the client's stream moves on by itself: it asks where the log starts or
// ends, as KAFKA_CONSUMER_OFFSET_RESET says, and emits `offsets` without saying what it skipped.
// The refused fetch, traced on the client's `consumer:fetches` diagnostics channel, gives the
// offset asked for; the stream's position after its `offsets` event, where it went on. Only that
// error counts: the gaps compaction and transaction markers leave between offsets are ordinary.
import { consumerFetchesChannel, type MessagesStream } from '@platformatic/kafka';
import type { kafkaOffsetResets } from '../config/schema.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

/** Kafka's error code for an offset outside the partition's log. */
const offsetOutOfRange = 1;

/** A partition the broker refused to fetch from `fetchOffset`: outside its log. */
export interface RefusedFetch {
  /** As the fetch names the topic: its id (its name before Kafka 3.1's Fetch v13). */
  topicId: string;
  partition: number;
  fetchOffset: bigint;
}

/** Offsets passed over on a partition: `from` is the first, `to` the one reading goes on from. */
export interface SkippedRange {
  topic: string;
  partition: number;
  from: bigint;
  to: bigint;
}

/** An offset past the end of the log (the topic was recreated, or truncated): read again from `to`. */
export interface Rewound {
  topic: string;
  partition: number;
  fetchOffset: bigint;
  to: bigint;
}

/**
 * Per partition, the offset a refused fetch asked for, until the client has moved on; and how far
 * skipped offsets are already reported, so that a range is counted once even when the client
 * asks for the same deleted offset again (a rebalance rewinds it to the last commit).
 */
export class OutOfRangeLedger {
  private readonly pending = new Map<number, bigint>();
  private readonly reportedUpTo = new Map<number, bigint>();

  constructor(private readonly topic: string) {}

  /** A new stream starts from the commits: refusals of the one before are no longer pending. */
  restarted(): void {
    this.pending.clear();
  }

  refused(fetches: Omit<RefusedFetch, 'topicId'>[]): void {
    for (const { partition, fetchOffset } of fetches) this.pending.set(partition, fetchOffset);
  }

  /**
   * The client has (perhaps) moved its positions: `position` is where it now reads a partition.
   * Returns each range skipped and not yet reported, and each position moved back (the offset
   * was past the log's end). A partition whose position has not moved stays pending: its
   * recovery is still to come.
   */
  moved(position: (partition: number) => bigint | undefined): {
    skipped: SkippedRange[];
    rewound: Rewound[];
  } {
    const skipped: SkippedRange[] = [];
    const rewound: Rewound[] = [];
    for (const [partition, fetchOffset] of this.pending) {
      const to = position(partition);
      if (to === undefined || to === fetchOffset) continue;
      this.pending.delete(partition);
      if (to < fetchOffset) {
        rewound.push({ topic: this.topic, partition, fetchOffset, to });
        continue;
      }
      const reported = this.reportedUpTo.get(partition) ?? fetchOffset;
      const from = reported > fetchOffset ? reported : fetchOffset;
      if (to <= from) continue;
      this.reportedUpTo.set(partition, to);
      skipped.push({ topic: this.topic, partition, from, to });
    }
    return { skipped, rewound };
  }
}

interface FetchRequestTopic {
  topicId?: unknown;
  partitions?: { partition?: unknown; fetchOffset?: unknown }[];
}

interface FetchResponseTopic {
  topicId?: unknown;
  partitions?: { partitionIndex?: unknown; errorCode?: unknown }[];
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
      refused.push({ topicId: String(topic.topicId), partition: p.partitionIndex, fetchOffset });
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
): { skipped: (range: SkippedRange) => void; rewound: (rewound: Rewound) => void } {
  return {
    skipped({ topic, partition, from, to }) {
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
          nextOffset: Number(to),
          offsetReset: reset,
        },
        reset === 'earliest'
          ? `messages deleted by retention before they were indexed: ${where}, ${range} lost (${lost} messages); going on from ${to}, the earliest offset kept`
          : `messages skipped: the committed offset of ${where} was deleted by retention; ${range} lost (${lost} messages, deleted or passed over); going on from ${to}, the latest offset (KAFKA_CONSUMER_OFFSET_RESET=latest)`,
      );
    },
    rewound({ topic, partition, fetchOffset, to }) {
      logger.warn(
        { topic, partition, fetchOffset: Number(fetchOffset), nextOffset: Number(to), offsetReset: reset },
        `offset ${fetchOffset} of topic ${topic} partition ${partition} is past the end of its log (the topic was recreated or truncated): reading from ${to}, the ${reset} offset`,
      );
    },
  };
}

/**
 * Watches one consumer's fetches for offsets out of range and reports what its streams skip, a
 * ledger per topic. Subscribed until `stop()`; every stream the consumer opens must be `follow`ed.
 */
export class OutOfRangeWatch {
  private readonly ledgers = new Map<string, OutOfRangeLedger>();
  /** Topic id (as fetches name topics) → name, for the topics of the stream followed. */
  private names: ReadonlyMap<string, string> = new Map();
  private readonly onFetchError = (traced: unknown): void => {
    if ((traced as { client?: unknown } | null)?.client !== this.client) return;
    for (const { topicId, ...refused } of refusedFetches(traced)) {
      const topic = this.names.get(topicId);
      if (topic !== undefined) this.ledger(topic).refused([refused]);
    }
  };

  constructor(
    private readonly client: object,
    private readonly report: ReturnType<typeof reportSkipped>,
  ) {
    consumerFetchesChannel.error.subscribe(this.onFetchError);
  }

  /**
   * The stream emits `offsets` once it has asked where the log starts (or ends) and moved there.
   * `names`: topic id → name for the stream's topics (a topic's name is its id before Fetch v13).
   */
  follow(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>, names: ReadonlyMap<string, string>): void {
    this.names = names;
    for (const ledger of this.ledgers.values()) ledger.restarted();
    stream.on('offsets', () => {
      for (const [topic, ledger] of this.ledgers) {
        const position = (partition: number): bigint | undefined =>
          stream.offsetsToFetch.get(`${topic}:${partition}`);
        const { skipped, rewound } = ledger.moved(position);
        for (const range of skipped) this.report.skipped(range);
        for (const moved of rewound) this.report.rewound(moved);
      }
    });
  }

  private ledger(topic: string): OutOfRangeLedger {
    let ledger = this.ledgers.get(topic);
    if (ledger === undefined) {
      ledger = new OutOfRangeLedger(topic);
      this.ledgers.set(topic, ledger);
    }
    return ledger;
  }

  stop(): void {
    consumerFetchesChannel.error.unsubscribe(this.onFetchError);
  }
}
