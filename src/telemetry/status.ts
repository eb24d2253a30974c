// What the status page shows, as /status.json: built on each request from what the process
// already knows (the metrics behind /metrics, readiness, the search node pool, the throughput
// ring and the recent errors), never from a bookkeeping of its own, so that the page and a
// Prometheus scrape taken at the same moment agree.
import type { Counter, Gauge } from 'prom-client';
import { readBehind, type Behind } from './behind.js';
import type { ReadinessState } from './health.js';
import { blankOut } from './logger.js';
import type { Metrics } from './metrics.js';
import type { RecentError, RecentErrors } from './recent-errors.js';
import type { ThroughputHistory, ThroughputPoint, Totals } from './throughput-history.js';

export type StatusMetrics = Pick<
  Metrics,
  | 'consumedMessages'
  | 'indexedDocuments'
  | 'failedByReason'
  | 'fetchPausedSeconds'
  | 'produced'
  | 'retriedDocuments'
  | 'consumerLag'
  | 'consumerLagSeconds'
  | 'inFlightRequests'
  | 'concurrencyLimit'
  | 'inFlightBytes'
  | 'bufferedBytes'
  | 'fetchPaused'
  | 'searchUnavailable'
  | 'searchNodes'
  | 'deadSearchNodes'
>;

export interface StatusSources {
  metrics: StatusMetrics;
  readiness: () => ReadinessState;
  /** The search nodes in the pool (origins: no credentials) and whether each is in rotation. */
  nodes: () => { node: string; alive: boolean }[];
  history: Pick<ThroughputHistory, 'points' | 'windowMs'>;
  errors: Pick<RecentErrors, 'list'>;
  /** MAX_BUFFERED_BYTES: what fetching waits on, with the bulk concurrency limit (a metric: it may adapt). */
  limits: { maxBufferedBytes: number };
  clock: { now: () => number };
}

export interface PartitionLagRow {
  /** Every label the lag gauge carries (partition, and topic where there is one). */
  labels: Record<string, string>;
  lag: number;
}

export interface Status {
  time: string;
  ready: ReadinessState;
  totals: Totals & { produced: number; retried: number };
  /** `windowMs`: what the chart spans; `intervalMs`: between the last two points, null before two. */
  throughput: { intervalMs: number | null; windowMs: number; points: ThroughputPoint[] };
  /** Seconds behind capture: the age of each partition's oldest message not yet indexed. */
  behind: Behind;
  /** `total` is null before the brokers were first asked. */
  lag: { total: number | null; partitions: PartitionLagRow[] };
  failures: { reason: string; count: number }[];
  inFlight: {
    requests: number;
    instances: number;
    bytes: number;
    bufferedBytes: number;
    maxBufferedBytes: number;
  };
  fetch: {
    paused: boolean;
    /** Why it waits now: max_buffered_bytes or indexers_busy; null while fetching. */
    reason: string | null;
    pausedSecondsByReason: Record<string, number>;
  };
  search: { unavailable: boolean; total: number; dead: number; nodes: { node: string; alive: boolean }[] };
  errors: RecentError[];
}

type Labelled = Counter<string> | Gauge<string>;

async function samples(metric: Labelled): Promise<{ labels: Record<string, string>; value: number }[]> {
  return (await metric.get()).values.map(({ labels, value }) => ({
    labels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])),
    value,
  }));
}

async function total(metric: Labelled): Promise<number> {
  return (await samples(metric)).reduce((sum, { value }) => sum + value, 0);
}

async function byLabel(metric: Labelled, label: string): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const { labels, value } of await samples(metric))
    totals[labels[label] ?? ''] = (totals[labels[label] ?? ''] ?? 0) + value;
  return totals;
}

/** The totals the throughput chart samples. */
export async function throughputTotals(metrics: StatusMetrics): Promise<Totals> {
  return {
    consumed: await total(metrics.consumedMessages),
    indexed: await total(metrics.indexedDocuments),
    failed: await total(metrics.failedByReason),
    pausedSeconds: await total(metrics.fetchPausedSeconds),
  };
}

/** Partitions in topic order, then by number; labels other than these two are kept as they are. */
function lagRows(values: { labels: Record<string, string>; value: number }[]): PartitionLagRow[] {
  return values
    .map(({ labels, value }) => ({ labels, lag: value }))
    .sort(
      (a, b) =>
        (a.labels['topic'] ?? '').localeCompare(b.labels['topic'] ?? '') ||
        Number(a.labels['partition']) - Number(b.labels['partition']),
    );
}

export async function buildStatus(sources: StatusSources): Promise<Status> {
  const { metrics, limits } = sources;
  const lagValues = await samples(metrics.consumerLag);
  const bufferedBytes = await total(metrics.bufferedBytes);
  const paused = (await total(metrics.fetchPaused)) > 0;
  const points = sources.history.points();
  const last = points.at(-1);
  const before = points.at(-2);
  return {
    time: new Date(sources.clock.now()).toISOString(),
    ready: sources.readiness(),
    totals: {
      ...(await throughputTotals(metrics)),
      produced: await total(metrics.produced),
      retried: await total(metrics.retriedDocuments),
    },
    throughput: {
      intervalMs: last !== undefined && before !== undefined ? last.at - before.at : null,
      windowMs: sources.history.windowMs,
      points,
    },
    behind: await readBehind(metrics.consumerLagSeconds),
    lag: {
      // The gauge is reset and refilled at each poll: no series means not asked yet (or nothing assigned).
      total: lagValues.length === 0 ? null : lagValues.reduce((sum, { value }) => sum + value, 0),
      partitions: lagRows(lagValues),
    },
    failures: Object.entries(await byLabel(metrics.failedByReason, 'reason'))
      .map(([reason, count]) => ({ reason, count }))
      .sort((a, b) => b.count - a.count),
    inFlight: {
      requests: await total(metrics.inFlightRequests),
      // ELASTIC_INDEXER_INSTANCES, or the adaptive limit now.
      instances: await total(metrics.concurrencyLimit),
      bytes: await total(metrics.inFlightBytes),
      bufferedBytes,
      maxBufferedBytes: limits.maxBufferedBytes,
    },
    fetch: {
      paused,
      // The two places fetching waits (buffer-budget.ts, in-flight.ts); the buffer is checked first there too.
      reason: paused
        ? bufferedBytes >= limits.maxBufferedBytes
          ? 'max_buffered_bytes'
          : 'indexers_busy'
        : null,
      pausedSecondsByReason: await byLabel(metrics.fetchPausedSeconds, 'reason'),
    },
    search: {
      unavailable: (await total(metrics.searchUnavailable)) > 0,
      total: await total(metrics.searchNodes),
      dead: await total(metrics.deadSearchNodes),
      nodes: sources.nodes(),
    },
    errors: sources.errors.list(),
  };
}

/**
 * /status.json's body. Nothing secret is put in it (node origins carry no credentials, log lines
 * were blanked by the logger); `secrets` are blanked once more, as the logger does, in case a
 * readiness reason quotes a dependency's message that names one.
 */
export function statusJson(sources: StatusSources, secrets: readonly string[]): () => Promise<string> {
  const blank = blankOut(secrets) ?? ((text: string) => text);
  return async () => `${blank(JSON.stringify(await buildStatus(sources)))}\n`;
}
