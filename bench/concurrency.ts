// The `concurrency` scenario of `npm run bench`: the indexer end to end at default
// settings (adaptive concurrency) against the best fixed ELASTIC_INDEXER_INSTANCES found by a
// sweep, with the search node 0, 5 and 20 ms away in each direction (the latency proxy in
// between), and against a node whose write pool has one thread and a queue of one (overload).
// Each fixed value of the sweep runs once; the best one and the default run `repeats` times (the
// sweep's run counts as the first), and every repeat is listed. Options for a shorter A/B:
// `sweep` (fewer fixed values), `latencies` (some of 0, 5, 20) and `otherCli`, another build's cli.js whose default settings
// run beside this build's in every repeat; either keeps the table out of docs/benchmarks.md.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LatencyProxy } from '../stack/latency-proxy.js';
import { createTopic } from '../stack/kafka-topics.js';
import { SearchNode } from '../stack/search-node.js';
import { median } from './report.js';
import { runIndexer } from './scenarios.js';
import { produceWorkload, Workload, type Format } from './workload.js';

export interface ConcurrencyBenchOptions {
  kafka: string;
  search: string;
  /** Deletes the run's indices and waits until the search node is quiet. */
  clean: () => Promise<void>;
  /** Installs the sessions3 template on a search node. */
  installTemplate: (url: string) => Promise<void>;
  /** Deletes the benchmark's indices on a search node. */
  deleteIndices: (url: string) => Promise<void>;
  elasticsearchVersion: string;
  documents: number;
  overloadDocuments: number;
  repeats: number;
  formats: Format[];
  /** The fixed ELASTIC_INDEXER_INSTANCES to sweep; default 1, 2, 4, 8, 16. */
  sweep?: number[];
  /** Added latencies each way (ms) to run; default 0, 5 and 20. */
  latencies?: number[];
  /** Another build's cli.js, run at default settings beside this one's in every repeat. */
  otherCli?: string;
  log: (line: string) => void;
}

export interface RunResult {
  docsPerSecond: number;
  /** bulk_concurrency_limit: the highest seen and the last. */
  limitMax: number;
  limitLast: number;
  decreases: number;
  failed: number;
  retried: number;
}

export interface ConcurrencyRow {
  format: Format;
  /** 'overload', or the added latency each way, e.g. '20 ms'. */
  condition: string;
  documents: number;
  sweep: { instances: number; docsPerSecond: number }[];
  bestInstances: number;
  fixed: RunResult[];
  adaptive: RunResult[];
  /** bulk1 only: adaptive with BULKER_MAX_MESSAGES=10000, so that 10 MiB rather than 100 messages closes a request. */
  bigBatches: RunResult[];
  /** Adaptive, with `otherCli`'s build. */
  other: RunResult[];
}

const sweepValues = [1, 2, 4, 8, 16];
const allLatencies = [0, 5, 20];
const prefix = 'arkime_kafkaindexer_';
const tracked = [
  'bulk_concurrency_limit',
  'bulk_concurrency_decreases_total',
  'session_index_failure_total',
  'documents_retried_total',
].map((name) => `${prefix}${name}`);

async function indexOnce(
  options: ConcurrencyBenchOptions,
  topic: string,
  documents: number,
  url: string,
  instances: number | 'adaptive',
  extra: Record<string, string> = {},
  cli?: string,
): Promise<RunResult> {
  const run = await runIndexer(
    {
      KAFKA_CONSUMER_BROKERS: options.kafka,
      KAFKA_CONSUMER_TOPIC: topic,
      KAFKA_CONSUMER_GROUP_NAME: `bench-arc-${Date.now()}`,
      ELASTIC_SERVICE: url,
      // Only the address given: discovery would find the node's own, behind no proxy.
      ELASTIC_CLIENT_DISCOVER_NODES: 'false',
      // The defaults, but that the run's last partial batch does not wait 10 s.
      BULKER_FLUSH_INTERVAL: '100ms',
      ...(instances === 'adaptive' ? {} : { ELASTIC_INDEXER_INSTANCES: String(instances) }),
      ...extra,
    },
    documents,
    900_000,
    tracked,
    cli,
  );
  const value = (name: string) => run.tracked[`${prefix}${name}`] ?? { max: 0, last: 0 };
  return {
    docsPerSecond: Math.round(documents / run.seconds),
    limitMax: value('bulk_concurrency_limit').max,
    limitLast: value('bulk_concurrency_limit').last,
    decreases: value('bulk_concurrency_decreases_total').last,
    failed: value('session_index_failure_total').last,
    retried: value('documents_retried_total').last,
  };
}

/** The sweep, then the best fixed value and the default `repeats` times, against `url`. */
async function compare(
  options: ConcurrencyBenchOptions,
  format: Format,
  condition: string,
  topic: string,
  documents: number,
  url: string,
  clean: () => Promise<void>,
): Promise<ConcurrencyRow> {
  const { log, repeats } = options;
  const once = async (
    instances: number | 'adaptive',
    extra: Record<string, string> = {},
    cli?: string,
  ): Promise<RunResult> => {
    await clean();
    const result = await indexOnce(options, topic, documents, url, instances, extra, cli);
    log(
      `${format} ${condition} ${instances}${cli === undefined ? '' : ' (other build)'}${Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra)}` : ''}: ${result.docsPerSecond} docs/s, limit max ${result.limitMax} last ${result.limitLast}, ${result.decreases} decreases, ${result.retried} retried, ${result.failed} failed`,
    );
    return result;
  };
  const sweep: ConcurrencyRow['sweep'] = [];
  const sweepRuns = new Map<number, RunResult>();
  for (const instances of options.sweep ?? sweepValues) {
    const result = await once(instances);
    sweep.push({ instances, docsPerSecond: result.docsPerSecond });
    sweepRuns.set(instances, result);
  }
  const best = sweep.reduce((a, b) => (b.docsPerSecond > a.docsPerSecond ? b : a)).instances;
  const fixed = [sweepRuns.get(best) as RunResult];
  const adaptive: RunResult[] = [];
  const bigBatches: RunResult[] = [];
  const other: RunResult[] = [];
  // Interleaved, so that a drift of the machine over the minutes touches both alike.
  for (let repeat = 0; repeat < repeats; repeat += 1) {
    adaptive.push(await once('adaptive'));
    if (options.otherCli !== undefined) other.push(await once('adaptive', {}, options.otherCli));
    if (repeat > 0) fixed.push(await once(best));
    if (format === 'bulk1' && condition !== 'overload' && options.otherCli === undefined)
      bigBatches.push(await once('adaptive', { BULKER_MAX_MESSAGES: '10000' }));
  }
  return { format, condition, documents, sweep, bestInstances: best, fixed, adaptive, bigBatches, other };
}

async function produceFormat(
  options: ConcurrencyBenchOptions,
  format: Format,
  documents: number,
  tag: string,
): Promise<string> {
  const topic = `bench-arc-${format}-${tag}-${Date.now()}`;
  await createTopic(options.kafka, topic, 4);
  const workload = new Workload(documents, `${tag}${Date.now().toString(36)}`);
  await produceWorkload(options.kafka, topic, 4, workload.messages(format));
  return topic;
}

export async function concurrencyBench(options: ConcurrencyBenchOptions): Promise<ConcurrencyRow[]> {
  const rows: ConcurrencyRow[] = [];
  for (const format of options.formats) {
    const topic = await produceFormat(options, format, options.documents, 'l');
    for (const latencyMs of options.latencies ?? allLatencies) {
      const proxy = await LatencyProxy.start(options.search, { latencyMs });
      try {
        rows.push(
          await compare(
            options,
            format,
            `${latencyMs} ms`,
            topic,
            options.documents,
            proxy.url,
            options.clean,
          ),
        );
      } finally {
        await proxy.stop();
      }
    }
  }
  const node = await SearchNode.create({
    distribution: 'elasticsearch',
    version: options.elasticsearchVersion,
    dir: mkdtempSync(join(tmpdir(), 'aki-bench-overload-')),
    nodeName: 'overloaded',
    settings: { 'thread_pool.write.size': '1', 'thread_pool.write.queue_size': '1' },
  });
  await node.start();
  try {
    await options.installTemplate(node.url);
    const clean = () => options.deleteIndices(node.url);
    for (const format of options.formats) {
      const topic = await produceFormat(options, format, options.overloadDocuments, 'o');
      rows.push(
        await compare(options, format, 'overload', topic, options.overloadDocuments, node.url, clean),
      );
    }
  } finally {
    await node.stop();
  }
  return rows;
}

const rate = (runs: RunResult[]): number => median(runs, (r) => r.docsPerSecond).docsPerSecond;
const listed = (runs: RunResult[], pick: (r: RunResult) => number): string =>
  runs.map((r) => pick(r).toLocaleString('en')).join(', ');

/** The table for docs/benchmarks.md, every repeat listed, with the issue's targets checked. */
export function concurrencyMarkdown(rows: ConcurrencyRow[], date: string, repeats: number): string {
  const swept = rows[0]?.sweep.map((s) => s.instances) ?? sweepValues;
  const lines = [
    `Run of ${date}: median of ${repeats} runs each; sweep of fixed ELASTIC_INDEXER_INSTANCES ${swept.join(', ')} one run each. Default settings everywhere (BULKER_MAX_MESSAGES 100, BULKER_MAX_BYTES 10 MiB) but BULKER_FLUSH_INTERVAL=100ms.`,
    '',
    '| format | search node | docs | sweep (instances: docs/s) | best fixed: docs/s (runs) | adaptive: docs/s (runs) | adaptive ÷ fixed | target | adaptive limit, highest / last (runs) | decreases (runs) | failed (runs) | adaptive, BULKER_MAX_MESSAGES=10000: docs/s (runs) | adaptive, other build: docs/s (runs); ÷ fixed; limit highest / last; decreases; failed |',
    '| --- | --- | ---: | --- | --- | --- | ---: | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const ratio = rate(row.adaptive) / rate(row.fixed);
    const overload = row.condition === 'overload';
    const failed = row.adaptive.reduce((sum, r) => sum + r.failed, 0);
    const fell = row.adaptive.some((r) => r.decreases > 0);
    const met = overload ? ratio >= 0.8 && failed === 0 && fell : ratio >= 0.9;
    const target = overload ? '≥ 80%, 0 failed, limit falls' : '≥ 90%';
    lines.push(
      `| ${row.format} | ${overload ? 'write pool 1, queue 1' : `${row.condition} each way`} | ${row.documents.toLocaleString('en')} | ${row.sweep.map((s) => `${s.instances}: ${s.docsPerSecond.toLocaleString('en')}`).join(', ')} | ${row.bestInstances}: ${rate(row.fixed).toLocaleString('en')} (${listed(row.fixed, (r) => r.docsPerSecond)}) | ${rate(row.adaptive).toLocaleString('en')} (${listed(row.adaptive, (r) => r.docsPerSecond)}) | ${Math.round(ratio * 100)}% | ${target}: ${met ? 'met' : '**not met**'} | ${row.adaptive.map((r) => `${r.limitMax} / ${r.limitLast}`).join(', ')} | ${listed(row.adaptive, (r) => r.decreases)} | ${listed(row.adaptive, (r) => r.failed)} | ${row.bigBatches.length > 0 ? `${rate(row.bigBatches).toLocaleString('en')} (${listed(row.bigBatches, (r) => r.docsPerSecond)})` : ''} | ${otherBuild(row)} |`,
    );
  }
  return lines.join('\n');
}

function otherBuild(row: ConcurrencyRow): string {
  if (row.other.length === 0) return '';
  const ratio = Math.round((rate(row.other) / rate(row.fixed)) * 100);
  return `${rate(row.other).toLocaleString('en')} (${listed(row.other, (r) => r.docsPerSecond)}); ${ratio}%; ${row.other.map((r) => `${r.limitMax} / ${r.limitLast}`).join(', ')}; ${listed(row.other, (r) => r.decreases)}; ${listed(row.other, (r) => r.failed)}`;
}

/**
 * The run's figures into bench/results/, and its table into docs/benchmarks.md (between its
 * markers) only when `complete` (every latency, no other build): a partial run's is not the table.
 */
export function saveConcurrencyResults(rows: ConcurrencyRow[], repeats: number, complete: boolean): string {
  const date = new Date().toISOString();
  const table = concurrencyMarkdown(rows, date, repeats);
  const resultsDir = new URL('../../bench/results/', import.meta.url);
  mkdirSync(resultsDir, { recursive: true });
  const stamp = date.replaceAll(':', '-').slice(0, 19);
  writeFileSync(
    new URL(`${stamp}-concurrency.json`, resultsDir),
    `${JSON.stringify({ date, repeats, rows }, null, 2)}\n`,
  );
  writeFileSync(new URL(`${stamp}-concurrency.md`, resultsDir), `${table}\n`);
  if (!complete) return table;
  const page = new URL('../../docs/benchmarks.md', import.meta.url);
  const text = readFileSync(page, 'utf8');
  const [start, end] = ['<!-- concurrency:start -->', '<!-- concurrency:end -->'];
  if (text.includes(start) && text.includes(end)) {
    writeFileSync(
      page,
      `${text.slice(0, text.indexOf(start) + start.length)}\n${table}\n${text.slice(text.indexOf(end))}`,
    );
  }
  return table;
}
