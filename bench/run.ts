// `npm run bench`: the four measurements in one run on one machine — the Kafka limit,
// the search limit, the indexer into a null sink, the indexer end to end — for the bulk and bulk1
// formats, each repeated and reported as the median; then the produce→searchable latency.
// Options: --documents N (default 1,000,000) --repeats N (default 3) --formats bulk,bulk1
// --scenarios kafka-limit,kafka-limit-librdkafka,http-send,search-limit,indexer-null,
// indexer-null-defaults,end-to-end (default all;
// without search-limit and end-to-end no search server is started, for quick profiling runs).
// `--scenarios concurrency` (named only; --overload-documents N): adaptive against fixed bulk
// concurrency behind added latency and under overload (bench/concurrency.ts); --latencies 0,5
// runs only those, --sweep 2,4,8 only those fixed values, --other-cli PATH another build's
// dist/src/cli.js beside this one's (any of the three keeps the table out of docs/benchmarks.md).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { sessions3TemplatePath } from '../stack/arkime.js';
import { createTopic } from '../stack/kafka-topics.js';
import { LocalStack } from '../stack/stack.js';
import { concurrencyBench, saveConcurrencyResults } from './concurrency.js';
import { measureLatency } from './latency.js';
import { cpuSeconds, pidListeningOn, settle } from './proc.js';
import { chart, markdown, median, type BenchRun } from './report.js';
import { measurement, runIndexer, runScript, startNullSink, type Measurement } from './scenarios.js';
import { produceWorkload, Workload, type Format } from './workload.js';

const defaultScenarios =
  'kafka-limit,kafka-limit-librdkafka,http-send,search-limit,indexer-null,indexer-null-defaults,end-to-end';
const { values } = parseArgs({
  options: {
    documents: { type: 'string', default: '1000000' },
    repeats: { type: 'string', default: '3' },
    formats: { type: 'string', default: 'bulk,bulk1' },
    scenarios: { type: 'string', default: defaultScenarios },
    'overload-documents': { type: 'string', default: '30000' },
    variants: { type: 'string' },
    latencies: { type: 'string' },
    sweep: { type: 'string' },
    'other-cli': { type: 'string' },
  },
});
const scenarios = new Set(values.scenarios.split(','));
// --variants '{"a":{"NODE_OPTIONS":"--max-semi-space-size=16"},"b":{}}': each null-sink scenario
// runs once per variant in every repeat, in turn, with the variant's environment added: an A/B
// in one run on one machine. Rows are named `scenario (variant)`.
const variants = Object.entries(
  values.variants === undefined
    ? { '': {} }
    : (JSON.parse(values.variants) as Record<string, Record<string, string>>),
);
const needsSearch =
  scenarios.has('search-limit') || scenarios.has('end-to-end') || scenarios.has('concurrency');
const documents = Number(values.documents);
const repeats = Number(values.repeats);
const formats = values.formats.split(',') as Format[];
const latencies = values.latencies?.split(',').map(Number);
const sweep = values.sweep?.split(',').map(Number);
const partitions = 4;
const requestBytes = 10 * 1024 * 1024;
const log = (line: string): void => console.error(`[bench] ${line}`);

// The indexer's settings per format: the defaults, but for bulk1 enough messages per request
// that requests reach the same ~10 MB as with bulk (100 one-document messages would make tiny
// ones), and a 100 ms flush interval so that the run's last partial batch does not wait 10 s.
const bulkerSettings: Record<Format, Record<string, string>> = {
  bulk: { BULKER_FLUSH_INTERVAL: '100ms' },
  bulk1: { BULKER_MAX_MESSAGES: '10000', BULKER_FLUSH_INTERVAL: '100ms' },
};
// The indexer-null-defaults row: every setting at its default (adaptive concurrency, 100
// messages per request, MAX_BUFFERED_BYTES 64 MiB), but for the flush interval, so that the run's
// last partial batch does not wait 10 s; at full speed batches fill long before it matters.
const defaultSettings: Record<string, string> = { BULKER_FLUSH_INTERVAL: '100ms' };

async function http(method: 'PUT' | 'DELETE', url: string, body?: string): Promise<void> {
  const response = await request(url, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  });
  await response.body.text();
}

const stack = await LocalStack.start({
  components: needsSearch ? ['kafka', 'elasticsearch'] : ['kafka'],
  log: (l) => log(l),
});
try {
  const kafka = stack.endpoints.kafka?.bootstrap ?? '';
  const search = stack.endpoints.elasticsearch?.url ?? '';
  if (needsSearch) {
    await http(
      'PUT',
      `${search}/_index_template/arkime_sessions3`,
      readFileSync(sessions3TemplatePath, 'utf8'),
    );
  }
  // Elasticsearch goes on merging segments for a while after a load: deleting the index and
  // waiting until its CPU settles keeps that work out of the next scenario's measurement.
  const searchPid = needsSearch ? pidListeningOn(Number(new URL(search).port)) : undefined;
  const clean = async (): Promise<void> => {
    if (!needsSearch) return;
    await http('DELETE', `${search}/arkime_sessions3-*`);
    if (searchPid !== undefined) await settle(searchPid, log);
  };
  // The broker shares the machine's cores with the indexer: its CPU is reported beside the null sink's.
  const brokerPid = pidListeningOn(Number(kafka.split(':').at(-1)));
  const cpuOf = (pid: number | undefined): number => (pid === undefined ? 0 : cpuSeconds(pid));
  const results: Measurement[] = [];
  const settings: BenchRun['settings'] = {};

  if (scenarios.has('concurrency')) {
    const rows = await concurrencyBench({
      kafka,
      search,
      clean,
      installTemplate: (url) =>
        http('PUT', `${url}/_index_template/arkime_sessions3`, readFileSync(sessions3TemplatePath, 'utf8')),
      deleteIndices: (url) => http('DELETE', `${url}/arkime_sessions3-*`),
      elasticsearchVersion: stack.versions.elasticsearch,
      documents,
      overloadDocuments: Number(values['overload-documents']),
      repeats,
      formats,
      ...(latencies && { latencies }),
      ...(sweep && { sweep }),
      ...(values['other-cli'] !== undefined && { otherCli: values['other-cli'] }),
      log,
    });
    const complete = latencies === undefined && sweep === undefined && values['other-cli'] === undefined;
    console.log(saveConcurrencyResults(rows, repeats, complete));
  }

  for (const format of scenarios.size > (scenarios.has('concurrency') ? 1 : 0) ? formats : []) {
    const workload = new Workload(documents, `b${Date.now().toString(36)}`);
    const bytes = workload.totalBytes();
    const topic = `bench-${format}-${Date.now()}`;
    await createTopic(kafka, topic, partitions);
    const produced = performance.now();
    const messages = await produceWorkload(kafka, topic, partitions, workload.messages(format));
    log(
      `${format}: ${documents} documents in ${messages} messages produced in ${((performance.now() - produced) / 1000).toFixed(0)} s`,
    );
    const base = { format, documents, bytes };
    const runs: Record<string, Measurement[]> = {};
    const add = (m: Measurement): void => {
      (runs[m.scenario] ??= []).push(m);
      log(
        `${format} ${m.scenario}: ${m.docsPerSecond} docs/s, ${m.cpuSecondsPer100k} CPU s/100k, ${m.peakRssMiB} MiB`,
      );
    };

    // The search limit first: its best parallelism is then the indexer's ELASTIC_INDEXER_INSTANCES.
    let best = { parallel: 4, docsPerSecond: 0 };
    for (const parallel of scenarios.has('search-limit') ? [1, 2, 4] : []) {
      await clean();
      const r = await runScript('./direct-bulk.js', [
        search,
        String(documents),
        String(requestBytes),
        String(parallel),
        `p${parallel}`,
      ]);
      const m = measurement(
        {
          ...base,
          scenario: 'search-limit',
          seconds: r['seconds'] ?? 1,
          notes: `${parallel} requests in flight`,
        },
        r['cpuSeconds'] ?? 0,
        r['peakRssBytes'] ?? 0,
      );
      log(
        `search limit with ${parallel} in flight: ${m.docsPerSecond} docs/s (${r['failures']} failed requests)`,
      );
      if (m.docsPerSecond > best.docsPerSecond) best = { parallel, docsPerSecond: m.docsPerSecond };
      if (parallel === 1) add(m);
      else if (m.docsPerSecond > (runs['search-limit']?.[0]?.docsPerSecond ?? 0)) runs['search-limit'] = [m];
    }
    if (scenarios.has('search-limit')) await clean(); // its merges stay out of the Kafka limit
    const indexerEnv = {
      KAFKA_CONSUMER_BROKERS: kafka,
      KAFKA_CONSUMER_TOPIC: topic,
      ELASTIC_INDEXER_INSTANCES: String(best.parallel),
      ...bulkerSettings[format],
    };
    settings[format] = { ELASTIC_INDEXER_INSTANCES: String(best.parallel), ...bulkerSettings[format] };
    settings['defaults'] = defaultSettings;

    /** The indexer into a fresh null sink; its notes carry the sink's and the broker's CPU. */
    const intoNullSink = async (scenario: string, env: Record<string, string>): Promise<void> => {
      const sink = await startNullSink();
      try {
        const [sinkBefore, brokerBefore] = [cpuOf(sink.pid), cpuOf(brokerPid)];
        const run = await runIndexer(
          {
            KAFKA_CONSUMER_BROKERS: kafka,
            KAFKA_CONSUMER_TOPIC: topic,
            ...env,
            KAFKA_CONSUMER_GROUP_NAME: `bench-null-${Date.now()}`,
            ELASTIC_SERVICE: sink.url,
          },
          documents,
          1_800_000,
        );
        const per100k = (cpu: number): string => ((cpu / documents) * 100_000).toFixed(2);
        log(
          `${format} ${scenario} peaks, MiB: ${Object.entries(run.memory)
            .map(([name, bytes]) => `${name.replace(/^nodejs_|_bytes$/g, '')} ${Math.round(bytes / 2 ** 20)}`)
            .join(', ')}`,
        );
        add(
          measurement(
            {
              ...base,
              scenario,
              seconds: run.seconds,
              timeline: run.timeline,
              notes: `null sink ${per100k(cpuOf(sink.pid) - sinkBefore)}, broker ${per100k(cpuOf(brokerPid) - brokerBefore)} CPU s/100k`,
            },
            run.cpu,
            run.rss,
          ),
        );
      } finally {
        sink.stop();
      }
    };

    /** A reader alone on the topic (our client, or librdkafka); its notes carry the broker's CPU. */
    const readerAlone = async (scenario: string, script: string): Promise<void> => {
      const brokerBefore = cpuOf(brokerPid);
      const consumed = await runScript(script, [kafka, topic, String(messages)]);
      const brokerCpu = ((cpuOf(brokerPid) - brokerBefore) / documents) * 100_000;
      add(
        measurement(
          {
            ...base,
            scenario,
            seconds: consumed['seconds'] ?? 1,
            notes: `broker ${brokerCpu.toFixed(2)} CPU s/100k`,
          },
          consumed['cpuSeconds'] ?? 0,
          consumed['peakRssBytes'] ?? 0,
        ),
      );
    };

    for (let repeat = 0; repeat < repeats; repeat += 1) {
      if (scenarios.has('kafka-limit')) await readerAlone('kafka-limit', './consume-only.js');
      if (scenarios.has('kafka-limit-librdkafka'))
        await readerAlone('kafka-limit-librdkafka', './consume-librdkafka.js');
      if (scenarios.has('http-send')) {
        const sink = await startNullSink();
        try {
          const r = await runScript('./send-only.js', [sink.url, String(documents), String(requestBytes)]);
          add(
            measurement(
              {
                ...base,
                scenario: 'http-send',
                seconds: r['seconds'] ?? 1,
                notes: 'one 10 MB body, posted again and again',
              },
              r['cpuSeconds'] ?? 0,
              r['peakRssBytes'] ?? 0,
            ),
          );
        } finally {
          sink.stop();
        }
      }

      for (const [variant, env] of variants) {
        const name = (scenario: string): string => (variant === '' ? scenario : `${scenario} (${variant})`);
        if (scenarios.has('indexer-null'))
          await intoNullSink(name('indexer-null'), { ...indexerEnv, ...env });
        if (scenarios.has('indexer-null-defaults'))
          await intoNullSink(name('indexer-null-defaults'), { ...defaultSettings, ...env });
      }

      if (scenarios.has('end-to-end')) {
        await clean();
        const run = await runIndexer(
          { ...indexerEnv, KAFKA_CONSUMER_GROUP_NAME: `bench-e2e-${Date.now()}`, ELASTIC_SERVICE: search },
          documents,
          3_600_000,
        );
        add(
          measurement(
            { ...base, scenario: 'end-to-end', seconds: run.seconds, timeline: run.timeline },
            run.cpu,
            run.rss,
          ),
        );
      }

      if (repeat > 0 && scenarios.has('search-limit')) {
        await clean();
        const r = await runScript('./direct-bulk.js', [
          search,
          String(documents),
          String(requestBytes),
          String(best.parallel),
          `r${repeat}`,
        ]);
        add(
          measurement(
            {
              ...base,
              scenario: 'search-limit',
              seconds: r['seconds'] ?? 1,
              notes: `${best.parallel} requests in flight`,
            },
            r['cpuSeconds'] ?? 0,
            r['peakRssBytes'] ?? 0,
          ),
        );
        await clean(); // before the next repeat's Kafka limit
      }
    }
    await clean();
    for (const scenario of [
      'kafka-limit',
      'kafka-limit-librdkafka',
      'http-send',
      'search-limit',
      ...variants.flatMap(([variant]) =>
        ['indexer-null', 'indexer-null-defaults'].map((s) => (variant === '' ? s : `${s} (${variant})`)),
      ),
      'end-to-end',
    ]) {
      const measured = runs[scenario];
      if (measured && measured.length > 0)
        results.push({
          ...median(measured, (m) => m.docsPerSecond),
          repeatDocsPerSecond: measured.map((m) => m.docsPerSecond),
        });
    }
  }

  const e2eBulk1 = results.find((r) => r.format === 'bulk1' && r.scenario === 'end-to-end');
  const latency = e2eBulk1
    ? await measureLatency(
        kafka,
        search,
        Math.round(e2eBulk1.docsPerSecond / 2),
        log,
        settings['bulk1'] ?? {},
      )
    : undefined;
  await clean();

  const run: BenchRun = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      search: `Elasticsearch ${stack.versions.elasticsearch} (1 GiB heap)`,
      kafka: stack.versions.kafka,
    },
    documents,
    repeats,
    settings,
    results,
    ...(latency && { latency }),
  };
  const resultsDir = new URL('../../bench/results/', import.meta.url);
  const docsDir = new URL('../../docs/', import.meta.url);
  const table = markdown(run);
  // A partial run (a profiling run of some scenarios) is printed only: results and the page are
  // for complete runs.
  if (values.scenarios === defaultScenarios) {
    mkdirSync(resultsDir, { recursive: true });
    mkdirSync(docsDir, { recursive: true });
    const stamp = run.date.replaceAll(':', '-').slice(0, 19);
    writeFileSync(new URL(`${stamp}.json`, resultsDir), `${JSON.stringify(run, null, 2)}\n`);
    writeFileSync(new URL(`${stamp}.md`, resultsDir), `${table}\n`);
    writeFileSync(new URL('throughput.svg', docsDir), chart(run));
    const page = readFileSync(new URL('benchmarks.md', docsDir), 'utf8');
    const [start, end] = ['<!-- bench:start -->', '<!-- bench:end -->'];
    writeFileSync(
      new URL('benchmarks.md', docsDir),
      `${page.slice(0, page.indexOf(start) + start.length)}\n${table}\n\n![Documents per second over time](throughput.svg)\n${page.slice(page.indexOf(end))}`,
    );
  }
  console.log(table);
} finally {
  await stack.stop();
}
