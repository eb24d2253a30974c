// Each measured scenario as a function: it runs the process under test, waits until the work is
// done, and returns what it cost. The processes run apart from this one, so that their CPU and
// memory are theirs alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../stack/ports.js';
import { cpuSeconds, peakRssBytes } from './proc.js';

export interface Measurement {
  scenario: string;
  format: string;
  documents: number;
  bytes: number;
  seconds: number;
  docsPerSecond: number;
  mbPerSecond: number;
  cpuSecondsPer100k: number;
  peakRssMiB: number;
  /** Each repeat's docs/s, when this is the median of several. */
  repeatDocsPerSecond?: number[];
  /** [seconds since start, documents done] every quarter second, for the chart. */
  timeline?: [number, number][];
  notes?: string;
}

const dist = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export function measurement(
  base: Omit<Measurement, 'docsPerSecond' | 'mbPerSecond' | 'cpuSecondsPer100k' | 'peakRssMiB'>,
  cpu: number,
  rssBytes: number,
): Measurement {
  return {
    ...base,
    docsPerSecond: Math.round(base.documents / base.seconds),
    mbPerSecond: Number((base.bytes / 1e6 / base.seconds).toFixed(1)),
    cpuSecondsPer100k: Number(((cpu / base.documents) * 100_000).toFixed(2)),
    peakRssMiB: Math.round(rssBytes / 2 ** 20),
  };
}

/** Runs a bench script that prints one JSON line and exits. */
export async function runScript(script: string, args: string[]): Promise<Record<string, number>> {
  const child = spawn(process.execPath, [dist(script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${script} exited with ${code}: ${output}`);
  return JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
}

export async function startNullSink(): Promise<{ url: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, [dist('./null-sink.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const { port } = JSON.parse(chunk.toString()) as { port: number };
  return { url: `http://127.0.0.1:${port}`, pid: child.pid ?? -1, stop: () => child.kill('SIGTERM') };
}

/** The indexer's metrics, read once: every value the benchmark needs comes from one scrape. */
async function scrape(port: number): Promise<(name: string) => number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return (name) => {
    const at = text.indexOf(`\n${name} `);
    if (at !== -1) return Number.parseFloat(text.slice(at + name.length + 2, text.indexOf('\n', at + 1)));
    // A metric with labels: the sum of its series.
    let sum = 0;
    for (let i = text.indexOf(`\n${name}{`); i !== -1; i = text.indexOf(`\n${name}{`, i + 1)) {
      const line = text.slice(i + 1, text.indexOf('\n', i + 1));
      sum += Number.parseFloat(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  };
}

/**
 * Runs the real indexer (dist/src/cli.js) until it has indexed `documents`, timing from its first
 * consumed message; its CPU and peak RSS are read from /proc before it is stopped.
 */
export async function runIndexer(
  env: Record<string, string>,
  documents: number,
  timeoutMs: number,
  /** Metrics (full names) whose highest and last values the run reports. */
  track: string[] = [],
  /** The indexer's cli.js: this build's unless another is named (an A/B against another build). */
  cli: string = dist('../src/cli.js'),
): Promise<{
  seconds: number;
  cpu: number;
  rss: number;
  timeline: [number, number][];
  memory: Record<string, number>;
  tracked: Record<string, { max: number; last: number }>;
}> {
  const port = await freePort();
  // BENCH_PROFILE_DIR: write a V8 CPU profile of the indexer there (node --cpu-prof).
  const profile = process.env['BENCH_PROFILE_DIR'];
  const flags = profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`];
  const child: ChildProcess = spawn(process.execPath, [...flags, cli], {
    env: { PATH: process.env['PATH'], PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const pid = child.pid ?? -1;
  const prefix = 'arkime_kafkaindexer_';
  const deadline = Date.now() + timeoutMs;
  let first = 0;
  const timeline: [number, number][] = [];
  // What the resident memory is made of, at its worst: V8's heap and the buffers outside it.
  const memory: Record<string, number> = {
    nodejs_heap_size_total_bytes: 0,
    nodejs_heap_size_used_bytes: 0,
    nodejs_external_memory_bytes: 0,
  };
  const tracked: Record<string, { max: number; last: number }> = {};
  let indexed = 0;
  try {
    for (;;) {
      if (Date.now() > deadline) throw new Error(`the indexer did not finish ${documents} documents in time`);
      // Scraped every 250 ms for the chart, but every 20 ms around the start and the end, so that
      // a run of a few seconds is timed to within a few percent (a scrape costs the indexer ~1 ms).
      const near = first === 0 || indexed >= documents * 0.9;
      await sleep(near ? 20 : 250);
      const metric = await scrape(port).catch(() => () => 0);
      const consumed = metric(`${prefix}msgs_consumed_total`);
      if (consumed > 0 && first === 0) first = performance.now();
      if (first === 0) continue;
      indexed = metric(`${prefix}indexed_documents_total`);
      for (const name of Object.keys(memory)) memory[name] = Math.max(memory[name] ?? 0, metric(name));
      for (const name of track) {
        const value = metric(name);
        tracked[name] = { max: Math.max(tracked[name]?.max ?? 0, value), last: value };
      }
      timeline.push([Number(((performance.now() - first) / 1000).toFixed(2)), indexed]);
      if (indexed >= documents) break;
    }
    return {
      seconds: (performance.now() - first) / 1000,
      cpu: cpuSeconds(pid),
      rss: peakRssBytes(pid),
      timeline,
      memory,
      tracked,
    };
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}
