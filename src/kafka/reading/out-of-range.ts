// Messages deleted by retention before they were indexed. When the offset the consumer fetches
// from is no longer in the log, the broker answers OFFSET_OUT_OF_RANGE (with -1 for the log's
// start and end); the fetcher (./fetcher.ts) then asks where the log starts or ends, as
// KAFKA_CONSUMER_OFFSET_RESET says, goes on from there, and reports here what it skipped. Only
// that error counts: the gaps compaction and transaction markers leave between offsets are
// ordinary.
import type { Consumer } from '@platformatic/kafka';
import type { Assignment } from '../../records.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Metrics } from '../../telemetry/metrics.js';
import { listOffsets, type OffsetReset } from './positions.js';

/** A partition the broker refused to fetch from `fetchOffset`: outside its log. */
export interface RefusedFetch {
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
 * Per partition, the offset a refused fetch asked for, until the fetcher has moved on; and how far
 * skipped offsets are already reported, so that a range is counted once even when the fetcher
 * asks for the same deleted offset again (a rebalance rewinds it to the last commit).
 */
export class OutOfRangeLedger {
  private readonly pending = new Map<number, bigint>();
  private readonly reportedUpTo = new Map<number, bigint>();

  constructor(private readonly topic: string) {}

  /** A new fetcher starts from the commits: refusals of the one before are no longer pending. */
  restarted(): void {
    this.pending.clear();
  }

  refused(fetches: RefusedFetch[]): void {
    for (const { partition, fetchOffset } of fetches) this.pending.set(partition, fetchOffset);
  }

  /**
   * The fetcher has (perhaps) moved its positions: `position` is where it now reads a partition.
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

export type SkippedMetrics = Pick<Metrics, 'offsetsSkipped'>;

/** The one place that logs and counts skipped offsets. */
export function reportSkipped(
  logger: Logger,
  metrics: SkippedMetrics,
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

export interface RecoveryDeps {
  group: Pick<Consumer<Buffer, Buffer, Buffer, Buffer>, 'listOffsets'>;
  reset: OffsetReset;
  ledger: (topic: string) => OutOfRangeLedger;
  report: ReturnType<typeof reportSkipped>;
}

/**
 * Where reading `partition` goes on after the broker refused `fetchOffset` as out of range: the
 * earliest or latest offset, as KAFKA_CONSUMER_OFFSET_RESET says, with what was skipped (or
 * rewound) reported. Undefined when the reader has moved on meanwhile (`current()` is false).
 */
export async function recoverOutOfRange(
  deps: RecoveryDeps,
  partition: Assignment,
  fetchOffset: bigint,
  current: () => boolean,
): Promise<bigint | undefined> {
  const ledger = deps.ledger(partition.topic);
  ledger.refused([{ partition: partition.partition, fetchOffset }]);
  const listed = await listOffsets(deps.group, [partition], deps.reset);
  if (!current()) return undefined;
  const to = listed.get(partition.topic)?.[partition.partition];
  if (to === undefined) {
    throw new Error(`no ${deps.reset} offset for topic ${partition.topic} partition ${partition.partition}`);
  }
  const { skipped, rewound } = ledger.moved((p) => (p === partition.partition ? to : undefined));
  for (const range of skipped) deps.report.skipped(range);
  for (const moved of rewound) deps.report.rewound(moved);
  return to;
}
