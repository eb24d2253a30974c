// What the conformance suite's three-broker cases share: a run on the cluster with sessions
// flowing at a steady rate (one bulk1 message each, unique `_id`s), and the topic read back as the
// reference of what Kafka kept, which after an unclean election is less than what it acknowledged.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { endOffsets, readRecords, type Replication } from '../../stack/kafka-topics.js';
import { count } from '../../stack/search-client.js';
import { indexerRun, type IndexerProcess, type IndexerRun } from '../helpers/indexer.js';
import { SessionFlow } from '../helpers/session-flow.js';
import type { Destinations } from './harness.js';

/**
 * Small bulks (many commits while the stream lasts), quick search retries, and a metadata refresh
 * short enough that a moved leader or a new partition is seen within a case's time.
 */
export const clusterSettings = {
  BULKER_MAX_MESSAGES: '50',
  ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '1s',
  KAFKA_METADATA_REFRESH: '5s',
};

export interface FlowingRun {
  run: IndexerRun;
  indexer: IndexerProcess;
  flow: SessionFlow;
  to: Destinations;
}

export interface FlowingOptions {
  bootstrap: string;
  url: string;
  name: string;
  partitions: number;
  replication: Replication;
  /** Sessions a second over all partitions (120). */
  perSecond?: number;
  /** The flow goes on at least until this many are produced (3000); never beyond 9000. */
  minSessions?: number;
  /** The indexer's environment beside the run's and `clusterSettings`. */
  settings?: Record<string, string>;
  /** The search cluster the indexer writes to, when not `url` (a latency proxy in front of it). */
  indexerUrl?: string;
}

/** A run on the cluster: the indexer started, sessions flowing, and indexing under way. */
export async function flowingRun(t: TestContext, options: FlowingOptions): Promise<FlowingRun> {
  const { bootstrap, url, partitions } = options;
  const run = await indexerRun(t, {
    bootstrap,
    url,
    name: options.name,
    partitions,
    replication: options.replication,
  });
  const env = { ...clusterSettings, ...options.settings };
  const indexer = await run.start(
    options.indexerUrl === undefined ? env : { ...env, ELASTIC_SERVICE: options.indexerUrl },
  );
  const flow = new SessionFlow({
    bootstrap,
    topic: run.topic,
    partitions,
    prefix: run.prefix,
    perSecond: options.perSecond ?? 120,
    minSessions: options.minSessions ?? 3000,
    maxSessions: 9000,
  });
  t.after(() => flow.finish().catch(() => undefined));
  const to = { bootstrap, url, pattern: `${run.prefix}-*`, failures: run.failures };
  // Faults begin once indexing is under way.
  await indexer.waitFor('indexing under way', async () => (await count(url, to.pattern)) >= 300, 120_000);
  return { run, indexer, flow, to };
}

/** A session's record in the topic: where Kafka keeps it. */
export interface SessionRecord {
  id: string;
  partition: number;
  offset: bigint;
}

/** Every session record the topic holds now, the whole of every partition read. */
export async function sessionRecords(bootstrap: string, topic: string): Promise<SessionRecord[]> {
  const total = (await endOffsets(bootstrap, topic)).reduce((sum, end) => sum + Number(end), 0);
  const records = await readRecords(bootstrap, topic, total, 120_000);
  assert.equal(records.length, total, `the whole of ${topic} read`);
  return records.flatMap(({ value, partition, offset }) => {
    const id = /"_id": "([^"]+)"/.exec(value.toString())?.[1];
    return id === undefined ? [] : [{ id, partition, offset }];
  });
}

/** Each session `_id` the topic holds now, with how many records carry it. */
export async function idsInTopic(bootstrap: string, topic: string): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const { id } of await sessionRecords(bootstrap, topic)) ids.set(id, (ids.get(id) ?? 0) + 1);
  return ids;
}

/** Where the records of `ids` lie, per partition: "p0: 411 at 180–590". */
export function whereIn(records: SessionRecord[], ids: Iterable<string>): string {
  const wanted = new Set(ids);
  const byPartition = new Map<number, bigint[]>();
  for (const r of records.filter((r) => wanted.has(r.id))) {
    byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r.offset]);
  }
  return [...byPartition]
    .sort(([a], [b]) => a - b)
    .map(([p, offsets]) => {
      const sorted = offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return `p${p}: ${sorted.length} at ${sorted[0]}–${sorted.at(-1)}`;
    })
    .join(', ');
}

/** Polls `check` every 500 ms until it returns a value, failing with `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
}
