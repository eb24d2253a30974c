// Turns a run's measurements into the files people read: a JSON record, a markdown table led by
// the ratios (machines here are shared and noisy; ratios travel, absolute rates less so), and an
// SVG chart of throughput over time.
import type { Measurement } from './scenarios.js';

export interface BenchRun {
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; search: string; kafka: string };
  documents: number;
  repeats: number;
  settings: Record<string, Record<string, string>>;
  /** Median of the repeats, per format and scenario. */
  results: Measurement[];
  latency?: { rate: number; documents: number; p50Ms: number; p99Ms: number };
}

export function median<T>(values: T[], key: (value: T) => number): T {
  const sorted = [...values].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)] as T;
}

function find(run: BenchRun, format: string, scenario: string): Measurement | undefined {
  return run.results.find((r) => r.format === format && r.scenario === scenario);
}

/** The Kafka limit: the faster of our client and librdkafka reading the topic alone. */
export function kafkaLimit(run: BenchRun, format: string): Measurement | undefined {
  const readers = [find(run, format, 'kafka-limit'), find(run, format, 'kafka-limit-librdkafka')];
  return readers
    .filter((m): m is Measurement => m !== undefined)
    .reduce<Measurement | undefined>(
      (best, m) => (best && best.docsPerSecond >= m.docsPerSecond ? best : m),
      undefined,
    );
}

function ratio(a: Measurement | undefined, b: Measurement | undefined): string {
  return a && b ? `${Math.round((a.docsPerSecond / b.docsPerSecond) * 100)}%` : 'n/a';
}

/** Every repeat's rate, so that the spread behind a median is visible. */
function repeats(m: Measurement): string {
  const rates = m.repeatDocsPerSecond ?? [];
  return rates.length > 1 ? `runs: ${rates.map((r) => r.toLocaleString('en')).join(', ')} docs/s` : '';
}

export function markdown(run: BenchRun): string {
  const formats = [...new Set(run.results.map((r) => r.format))];
  const lines = [
    `Run of ${run.date}: ${run.documents.toLocaleString('en')} documents per format, median of ${run.repeats} runs.`,
    '',
    '| format | indexer into null sink ÷ Kafka limit | end to end ÷ search limit | null sink, default settings ÷ Kafka limit | peak RSS, default settings, full speed |',
    '| --- | --- | --- | --- | --- |',
    ...formats.map(
      (f) =>
        `| ${f} | ${ratio(find(run, f, 'indexer-null'), kafkaLimit(run, f))} | ${ratio(find(run, f, 'end-to-end'), find(run, f, 'search-limit'))} | ${ratio(find(run, f, 'indexer-null-defaults'), kafkaLimit(run, f))} | ${find(run, f, 'indexer-null-defaults')?.peakRssMiB ?? 'n/a'} MiB |`,
    ),
    '',
    '| format | scenario | docs/s | MB/s | CPU s per 100k docs | peak RSS MiB | notes |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
    ...run.results.map(
      (r) =>
        `| ${r.format} | ${r.scenario} | ${r.docsPerSecond.toLocaleString('en')} | ${r.mbPerSecond} | ${r.cpuSecondsPer100k} | ${r.peakRssMiB} | ${[r.notes, repeats(r)].filter(Boolean).join('; ')} |`,
    ),
  ];
  const listed = (env: Record<string, string> | undefined): string =>
    Object.entries(env ?? {})
      .map(([name, value]) => `${name}=${value}`)
      .join(', ');
  lines.push(
    '',
    "The Kafka limit of the ratios is the faster of `kafka-limit` and `kafka-limit-librdkafka`. Settings of each row: `kafka-limit` is the indexer's Kafka client with its fetch options, reading ahead as the indexer does; `kafka-limit-librdkafka` is librdkafka (Debian's kcat) at its default settings; `http-send` is the cost of sending the same bytes over HTTP alone (one 10 MB body built beforehand, posted into the null sink again and again); `search-limit` is a loader with requests of 10 MB; " +
      formats
        .map((f) => `\`indexer-null\` and \`end-to-end\` for ${f}: ${listed(run.settings[f])}`)
        .join('; ') +
      `; \`indexer-null-defaults\`: every setting at its default (adaptive concurrency, 100 messages and 10 MB per request, MAX_BUFFERED_BYTES 64 MiB) but ${listed(run.settings['defaults'])}, so that the run's last partial batch does not wait 10 s. Notes: CPU of the null sink and of the Kafka broker, which share the machine's cores.`,
  );
  if (run.latency) {
    lines.push(
      '',
      `Produce → searchable latency, bulk1, steady ${run.latency.rate.toLocaleString('en')} docs/s (half the end-to-end rate), ${run.latency.documents.toLocaleString('en')} documents, the end-to-end run's settings: p50 ${run.latency.p50Ms} ms, p99 ${run.latency.p99Ms} ms (includes the index's 1 s refresh interval).`,
    );
  }
  lines.push(
    '',
    `Machine: ${run.machine.cpu}, ${run.machine.cores} cores, ${run.machine.memoryGiB} GiB; Node ${run.machine.node}; ${run.machine.search}; Kafka ${run.machine.kafka}; all on one machine, loopback.`,
  );
  return lines.join('\n');
}

/** Documents per second over time, from cumulative samples, averaged over one-second windows. */
function rates(timeline: [number, number][]): [number, number][] {
  const points: [number, number][] = [];
  for (let i = 0; i < timeline.length; i += 1) {
    const [t, n] = timeline[i] as [number, number];
    const back = timeline.findLast(([s]) => s <= t - 1) ?? timeline[0];
    if (back === undefined || back[0] === t) continue;
    points.push([t, (n - back[1]) / (t - back[0])]);
  }
  return points;
}

export function chart(run: BenchRun): string {
  const series = run.results
    .filter((r) => r.timeline && (r.scenario === 'end-to-end' || r.scenario === 'indexer-null'))
    .map((r) => ({ label: `${r.format} ${r.scenario}`, points: rates(r.timeline ?? []) }));
  const width = 720;
  const height = 320;
  const pad = { left: 70, right: 200, top: 20, bottom: 40 };
  const maxT = Math.max(1, ...series.flatMap((s) => s.points.map(([t]) => t)));
  const maxY = Math.max(1, ...series.flatMap((s) => s.points.map(([, y]) => y))) * 1.1;
  const x = (t: number): number => pad.left + (t / maxT) * (width - pad.left - pad.right);
  const y = (v: number): number => height - pad.bottom - (v / maxY) * (height - pad.top - pad.bottom);
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e'];
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(maxY * f));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...ticks.map(
      (v) =>
        `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toLocaleString('en')}</text>`,
    ),
    `<text x="${pad.left}" y="${height - 8}">seconds since the first message</text>`,
    `<text x="${width - pad.right}" y="${height - 22}" text-anchor="end">${maxT.toFixed(0)} s</text>`,
    `<text x="14" y="${pad.top + 10}" transform="rotate(-90 14 ${pad.top + 10})" text-anchor="end">documents/s</text>`,
    ...series.map((s, i) => {
      const color = colors[i % colors.length] ?? '#000';
      const path = s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${path}"/><text x="${width - pad.right + 10}" y="${pad.top + 16 + i * 18}" fill="${color}">${s.label}</text>`;
    }),
    '</svg>',
  ].join('\n');
}
