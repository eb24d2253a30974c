// Projects the partitions, indexer instances and search nodes a rate of Arkime sessions needs,
// from what the benchmark measured on one machine (the newest bench/results/*.json). What is
// measured is read from there; everything else is an assumption with a name and a default,
// printed with the plan, so that a projection can be checked and redone with other figures.
//   node dist/scripts/capacity.js --rate 200000 [--format bulk1] [--replicas 1] [--search-cores 16]
//   node dist/scripts/capacity.js --capture-nodes 40 --sessions-per-node 5000
//   node dist/scripts/capacity.js --table      (the table in docs/scaling.md)
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Format = 'bulk' | 'bulk1';

/** One format's figures from a benchmark run, all measured on the run's machine. */
export interface Measured {
  run: string;
  machineCores: number;
  /** Average size of a session document (the corpus' own). */
  docBytes: number;
  /** The indexer's CPU cost end to end (into Elasticsearch), all its threads. */
  indexerCpuSecondsPer100k: number;
  /** The indexer alone into a search stub: the most one process did. */
  indexerCeilingDocsPerSecond: number;
  indexerPeakRssMiB: number;
  /** One search node's limit (bulk loader, no Kafka), and the loader's own CPU cost beside it. */
  searchDocsPerSecond: number;
  searchLoaderCpuSecondsPer100k: number;
  /** Bulk requests the loader kept in flight at that limit. */
  searchInFlight: number;
  /** The Kafka client alone: fetching is never the limit when this is far above the rest. */
  kafkaDocsPerSecond: number;
}

export interface Assumptions {
  /** Plan to use at most this share of capacity, so that a backlog (an outage, a restart) drains. */
  headroom: number;
  /** vCPUs per indexer instance. Its pipeline is one Node thread; a second vCPU serves GC and I/O. */
  indexerCores: number;
  /** vCPUs per search data node. */
  searchCores: number;
  /** Share of the measured per-core indexing rate a larger node keeps (merges, queries, GC). */
  searchCoreEfficiency: number;
  /** Replicas of each shard: every replica indexes every document again. */
  replicas: number;
  /** Partitions per instance, so that instances can be added later without adding partitions. */
  partitionsPerInstance: number;
  /** Bulk request size (BULKER_MAX_BYTES). */
  bulkBytes: number;
}

export const defaultAssumptions: Assumptions = {
  headroom: 0.6,
  indexerCores: 1,
  searchCores: 16,
  searchCoreEfficiency: 0.75,
  replicas: 1,
  partitionsPerInstance: 2,
  bulkBytes: 10 * 1024 * 1024,
};

export interface Plan {
  format: Format;
  sessionsPerSecond: number;
  megabytesPerSecond: number;
  /** Sessions a second one instance can take at the headroom. */
  perInstanceDocsPerSecond: number;
  indexerInstances: number;
  partitions: number;
  /** Sessions a second one search node indexes (primaries and replicas together), projected. */
  perSearchNodeDocsPerSecond: number;
  searchNodes: number;
  settings: {
    BULKER_MAX_BYTES: number;
    BULKER_MAX_MESSAGES: number;
    BULKER_FLUSH_INTERVAL: string;
    ELASTIC_INDEXER_INSTANCES: number;
    MAX_BUFFERED_BYTES: number;
  };
  /** Peak memory of one instance, projected from the measured peak and the larger buffer. */
  perInstanceRssMiB: number;
}

interface BenchResult {
  format: Format;
  scenario: string;
  documents: number;
  bytes: number;
  docsPerSecond: number;
  cpuSecondsPer100k: number;
  peakRssMiB: number;
  notes?: string;
}

interface BenchRun {
  date: string;
  machine: { cpu: string; cores: number; search: string };
  results: BenchResult[];
}

/** The figures of one format from a benchmark run's JSON. */
export function measuredFrom(run: BenchRun, format: Format): Measured {
  const result = (scenario: string): BenchResult => {
    const found = run.results.find((r) => r.format === format && r.scenario === scenario);
    if (found === undefined) throw new Error(`the benchmark run of ${run.date} has no ${format} ${scenario}`);
    return found;
  };
  const endToEnd = result('end-to-end');
  return {
    run: `${run.date}, ${run.machine.cpu} ${run.machine.cores} cores, ${run.machine.search}`,
    machineCores: run.machine.cores,
    docBytes: endToEnd.bytes / endToEnd.documents,
    indexerCpuSecondsPer100k: endToEnd.cpuSecondsPer100k,
    indexerCeilingDocsPerSecond: result('indexer-null').docsPerSecond,
    indexerPeakRssMiB: endToEnd.peakRssMiB,
    searchDocsPerSecond: result('search-limit').docsPerSecond,
    searchLoaderCpuSecondsPer100k: result('search-limit').cpuSecondsPer100k,
    searchInFlight: Number(/(\d+) requests? in flight/.exec(result('search-limit').notes ?? '')?.[1] ?? 1),
    kafkaDocsPerSecond: result('kafka-limit').docsPerSecond,
  };
}

/** Partition counts with many divisors: instances divide them evenly as the group grows. */
const partitionSteps = [6, 12, 24, 36, 48, 60, 72, 96, 120, 144, 192, 240, 288, 360, 480, 576, 720, 960];

export function plan(
  sessionsPerSecond: number,
  format: Format,
  measured: Measured,
  assumptions: Assumptions = defaultAssumptions,
): Plan {
  const a = assumptions;
  // One instance: what its CPU allows at the measured cost, never more than the most one
  // process was measured to do; then only the headroom's share of it.
  const perInstanceCapacity = Math.min(
    (100_000 / measured.indexerCpuSecondsPer100k) * a.indexerCores,
    measured.indexerCeilingDocsPerSecond,
  );
  const perInstance = perInstanceCapacity * a.headroom;
  const indexerInstances = Math.max(1, Math.ceil(sessionsPerSecond / perInstance));
  const wanted = indexerInstances * a.partitionsPerInstance;
  const partitions = partitionSteps.find((p) => p >= wanted) ?? Math.ceil(wanted / 120) * 120;

  // The search node measured shared its cores with the bulk loader: take the loader's share out,
  // then scale per core to the planned node size.
  const loaderCores = (measured.searchDocsPerSecond * measured.searchLoaderCpuSecondsPer100k) / 100_000;
  const perSearchCore = measured.searchDocsPerSecond / (measured.machineCores - loaderCores);
  const perSearchNode = perSearchCore * a.searchCores * a.searchCoreEfficiency;
  const writes = sessionsPerSecond * (1 + a.replicas);
  const searchNodes = Math.max(1, Math.ceil(writes / (perSearchNode * a.headroom)));

  const docsPerBulk = Math.floor(a.bulkBytes / measured.docBytes);
  // Little's law: bulks in flight = bulks a second × how long one takes. One took, on the measured
  // node at its limit, as long as its share of that limit (assumed the same on larger nodes).
  const bulkSeconds = (measured.searchInFlight * docsPerBulk) / measured.searchDocsPerSecond;
  const perInstanceRate = sessionsPerSecond / indexerInstances;
  const needed = Math.ceil((perInstanceRate / docsPerBulk) * bulkSeconds) + 1;
  const inFlight = Math.min(16, Math.max(2, needed));
  // Fetching pauses at MAX_BUFFERED_BYTES: room for every bulk in flight and one being filled.
  const maxBuffered = Math.max(64 * 1024 * 1024, (inFlight + 1) * a.bulkBytes);
  const rss = measured.indexerPeakRssMiB + (maxBuffered - 64 * 1024 * 1024) / (1024 * 1024);
  // A bulk fills in bulkBytes / (rate × size) seconds; flushing on time only helps when slower.
  const fillSeconds = a.bulkBytes / (perInstanceRate * measured.docBytes);
  return {
    format,
    sessionsPerSecond,
    megabytesPerSecond: (sessionsPerSecond * measured.docBytes) / 1e6,
    perInstanceDocsPerSecond: Math.floor(perInstance),
    indexerInstances,
    partitions,
    perSearchNodeDocsPerSecond: Math.floor(perSearchNode),
    searchNodes,
    settings: {
      BULKER_MAX_BYTES: a.bulkBytes,
      // bulk1 carries one session a message: let bytes, not the count, close a bulk.
      BULKER_MAX_MESSAGES: format === 'bulk1' ? Math.ceil((docsPerBulk * 1.2) / 1000) * 1000 : 100,
      BULKER_FLUSH_INTERVAL: fillSeconds < 1 ? '1s' : `${Math.min(10, Math.ceil(fillSeconds))}s`,
      ELASTIC_INDEXER_INSTANCES: inFlight,
      MAX_BUFFERED_BYTES: maxBuffered,
    },
    perInstanceRssMiB: Math.round(rss),
  };
}

const number = (n: number): string => Math.round(n).toLocaleString('en-US');

export function describePlan(p: Plan, m: Measured, a: Assumptions = defaultAssumptions): string {
  return [
    `${number(p.sessionsPerSecond)} sessions/s (${p.format}), ${p.megabytesPerSecond.toFixed(0)} MB/s of session documents`,
    `  indexer instances: ${p.indexerInstances} (${number(p.perInstanceDocsPerSecond)} sessions/s each at ${a.headroom * 100}% of capacity, ${a.indexerCores} vCPU, ~${p.perInstanceRssMiB} MiB)`,
    `  partitions:        ${p.partitions}`,
    `  search data nodes: ${p.searchNodes} (${a.searchCores} vCPU, ${number(p.perSearchNodeDocsPerSecond)} writes/s each, ${a.replicas} replica(s))`,
    `  settings per instance: ${Object.entries(p.settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
    `  measured (${m.run}): ${m.docBytes.toFixed(0)} B/session, indexer ${m.indexerCpuSecondsPer100k} CPU s/100k end to end, ` +
      `ceiling ${number(m.indexerCeilingDocsPerSecond)}/s, search node ${number(m.searchDocsPerSecond)}/s, Kafka client ${number(m.kafkaDocsPerSecond)}/s`,
  ].join('\n');
}

/** The Markdown table of docs/scaling.md: several rates, both formats. */
export function table(run: BenchRun, rates: number[], a: Assumptions = defaultAssumptions): string {
  const rows = [
    '| sessions/s | format | MB/s | indexer instances | partitions | search data nodes | ELASTIC_INDEXER_INSTANCES | MAX_BUFFERED_BYTES |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const rate of rates) {
    for (const format of ['bulk', 'bulk1'] as const) {
      const p = plan(rate, format, measuredFrom(run, format), a);
      rows.push(
        `| ${number(rate)} | ${format} | ${p.megabytesPerSecond.toFixed(0)} | ${p.indexerInstances} | ${p.partitions} | ` +
          `${p.searchNodes} | ${p.settings.ELASTIC_INDEXER_INSTANCES} | ${p.settings.MAX_BUFFERED_BYTES / 1024 / 1024} MiB |`,
      );
    }
  }
  return rows.join('\n');
}

export function newestRun(dir: URL): BenchRun {
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .at(-1);
  if (newest === undefined)
    throw new Error(`no benchmark results in ${fileURLToPath(dir)}: run npm run bench`);
  return JSON.parse(readFileSync(new URL(newest, dir), 'utf8')) as BenchRun;
}

function option(args: string[], name: string, minimum = Number.MIN_VALUE): number | undefined {
  const at = args.indexOf(`--${name}`);
  if (at === -1) return undefined;
  const value = Number(args[at + 1]);
  if (!Number.isFinite(value) || value < minimum) throw new Error(`--${name} needs a number ≥ ${minimum}`);
  return value;
}

function main(args: string[]): void {
  const run = newestRun(new URL('../../bench/results/', import.meta.url));
  const a: Assumptions = {
    ...defaultAssumptions,
    headroom: option(args, 'headroom') ?? defaultAssumptions.headroom,
    indexerCores: option(args, 'indexer-cores') ?? defaultAssumptions.indexerCores,
    searchCores: option(args, 'search-cores') ?? defaultAssumptions.searchCores,
    replicas: option(args, 'replicas', 0) ?? defaultAssumptions.replicas,
  };
  if (args.includes('--table')) {
    console.log(table(run, [10_000, 50_000, 100_000, 250_000, 500_000], a));
    return;
  }
  const rate =
    option(args, 'rate') ?? (option(args, 'capture-nodes') ?? 0) * (option(args, 'sessions-per-node') ?? 0);
  if (rate <= 0) throw new Error('give --rate N, or --capture-nodes N --sessions-per-node M, or --table');
  const format: Format = args[args.indexOf('--format') + 1] === 'bulk1' ? 'bulk1' : 'bulk';
  const measured = measuredFrom(run, format);
  console.log(describePlan(plan(rate, format, measured, a), measured, a));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
}
