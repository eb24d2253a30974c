// One log line every SUMMARY_LOG_INTERVAL saying what happened since the last one, read from the
// metrics themselves (so the line and the dashboard can never disagree): seconds behind capture
// (the slowest partition, named), documents/s, MB/s, lag, failures by reason, documents retried,
// flush reasons, time fetching was paused.
import type { Counter } from 'prom-client';
import { readBehind, type Behind } from './behind.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** Counter totals at one moment. */
export interface Snapshot {
  atMs: number;
  behind: Behind;
  indexed: number;
  indexedBytes: number;
  failed: Record<string, number>;
  retried: number;
  flushes: Record<string, number>;
  pausedSeconds: number;
}

export interface Summary {
  seconds: number;
  /** The slowest partition's seconds behind capture, at the end of the interval; null while unknown. */
  secondsBehind: number | null;
  /** That partition, as topic/partition; null when nothing waits. */
  slowest: string | null;
  documentsPerSecond: number;
  megabytesPerSecond: number;
  indexed: number;
  /** Messages after the committed offsets, all assigned partitions; null while unknown. */
  lag: number | null;
  failed: number;
  failedByReason: Record<string, number>;
  retried: number;
  flushes: Record<string, number>;
  pausedSeconds: number;
}

type SummaryMetrics = Pick<
  Metrics,
  | 'indexedDocuments'
  | 'indexedBytes'
  | 'failedByReason'
  | 'retriedDocuments'
  | 'flushReasons'
  | 'fetchPausedSeconds'
  | 'consumerLagSeconds'
>;

async function byLabel(counter: Counter<string>, label: string): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const { labels, value } of (await counter.get()).values) {
    const key = String(labels[label] ?? '');
    totals[key] = (totals[key] ?? 0) + value;
  }
  return totals;
}

const sum = (values: Record<string, number>): number => Object.values(values).reduce((a, b) => a + b, 0);

/** A counter's total over all its label values. */
async function total(counter: Counter<string>): Promise<number> {
  return (await counter.get()).values.reduce((a, { value }) => a + value, 0);
}

export async function snapshot(metrics: SummaryMetrics, atMs: number): Promise<Snapshot> {
  return {
    atMs,
    behind: await readBehind(metrics.consumerLagSeconds),
    indexed: await total(metrics.indexedDocuments),
    indexedBytes: await total(metrics.indexedBytes),
    failed: await byLabel(metrics.failedByReason, 'reason'),
    retried: await total(metrics.retriedDocuments),
    flushes: await byLabel(metrics.flushReasons, 'reason'),
    pausedSeconds: await total(metrics.fetchPausedSeconds),
  };
}

/** What changed from `before` to `after`: counts that did not change are left out of the maps. */
function increase(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const changed: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = value - (before[key] ?? 0);
    if (delta > 0) changed[key] = delta;
  }
  return changed;
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

export function summarize(before: Snapshot, after: Snapshot, lag: bigint | undefined): Summary {
  const seconds = Math.max((after.atMs - before.atMs) / 1000, 0.001);
  const indexed = after.indexed - before.indexed;
  const failedByReason = increase(before.failed, after.failed);
  return {
    seconds: round(seconds, 1),
    secondsBehind: after.behind.seconds === null ? null : round(after.behind.seconds, 1),
    slowest:
      after.behind.slowest === null
        ? null
        : `${after.behind.slowest.topic}/${after.behind.slowest.partition}`,
    documentsPerSecond: round(indexed / seconds, 1),
    megabytesPerSecond: round((after.indexedBytes - before.indexedBytes) / 1e6 / seconds, 2),
    indexed,
    lag: lag === undefined ? null : Number(lag),
    failed: sum(failedByReason),
    failedByReason,
    retried: after.retried - before.retried,
    flushes: increase(before.flushes, after.flushes),
    pausedSeconds: round(after.pausedSeconds - before.pausedSeconds, 1),
  };
}

/** The line's message, readable without the fields: "3.2 s behind (spi/4), 812.4 docs/s, 1.52 MB/s, lag 120, …". */
export function describe(summary: Summary): string {
  const flushes = Object.entries(summary.flushes)
    .map(([reason, count]) => `${reason}=${count}`)
    .join(' ');
  const behind =
    summary.secondsBehind === null
      ? 'behind unknown (records without timestamps)'
      : summary.slowest === null
        ? '0 s behind'
        : `${summary.secondsBehind} s behind (${summary.slowest})`;
  return [
    behind,
    `${summary.documentsPerSecond} docs/s`,
    `${summary.megabytesPerSecond} MB/s`,
    `lag ${summary.lag ?? 'unknown'}`,
    `${summary.failed} failed`,
    `${summary.retried} retried`,
    `flushes ${flushes === '' ? 'none' : flushes}`,
    `paused ${summary.pausedSeconds}s`,
  ].join(', ');
}

/** Logs a summary every `intervalMs` (0: never, SUMMARY_LOG_INTERVAL's off); returns the function that stops it. */
export function startSummaryLog(
  metrics: SummaryMetrics,
  lag: () => bigint | undefined,
  logger: Logger,
  intervalMs: number,
): () => void {
  if (intervalMs <= 0) return () => undefined;
  let last: Promise<Snapshot> = snapshot(metrics, Date.now());
  const timer = setInterval(() => {
    last = last.then(async (before) => {
      try {
        const after = await snapshot(metrics, Date.now());
        const summary = summarize(before, after, lag());
        logger.info({ summary }, `summary: ${describe(summary)}`);
        return after;
      } catch (error) {
        logger.warn({ err: error }, 'summary line failed');
        return before;
      }
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
