#!/usr/bin/env node
// `npm run demo`: the whole path on one machine. Starts Kafka and OpenSearch (the project's own
// local stack), installs Arkime's sessions3 template, produces the real sample SPI in Arkime's
// three Kafka formats (with a few documents that break the mapping), runs the real indexer as a
// child process while showing its progress, and ends with a table read back from OpenSearch and
// the failure topic. It then keeps everything running for a look around; Ctrl-C, at any moment,
// stops the indexer and the servers.
//   --exit         stop and exit after the table instead of waiting for Ctrl-C
//   --sessions N   send only the first N sessions of the corpus (default all 702), for a shorter run
//   --copies N     send them N times (each copy with its own ids), for a longer run
//   --timeout S    give up if the indexer has not handled everything within S seconds (default 180)
// With AKI_STACK set (by `npm run stack -- run kafka,opensearch -- …` or the test runner), it uses
// those servers instead, under names of its own, and removes its indices and templates at the end.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { IndexerProcess } from '../stack/indexer-process.js';
import { committedOffsets, createTopic, endOffsets, produce } from '../stack/kafka-topics.js';
import { uniqueName } from '../stack/names.js';
import { installTemplate } from '../stack/search-client.js';
import { endpointsFromEnv, LocalStack, type StackEndpoints } from '../stack/stack.js';
import { failureRecords, indexCounts, report } from './report.js';
import { demoTraffic, formats } from './spi.js';

const partitions = 3;
const say = (line: string): void => console.log(`[demo] ${line}`);

/** What must be stopped or removed on the way out, filled in as the demo gets there. */
const running: {
  stack?: LocalStack;
  indexer?: IndexerProcess;
  cleanups: (() => Promise<void>)[];
  logDir?: string;
} = { cleanups: [] };

async function teardown(): Promise<void> {
  const { indexer, stack } = running;
  if (indexer !== undefined) {
    const code = await indexer.stop();
    say(`indexer stopped (exit code ${code})`);
    if (running.logDir !== undefined) writeFileSync(join(running.logDir, 'indexer.log'), indexer.output);
  }
  for (const cleanup of running.cleanups) await cleanup().catch(() => undefined);
  if (stack !== undefined) {
    await stack.stop();
    say(`servers stopped; their logs and the indexer's are in ${stack.dir}`);
  }
}

// Ctrl-C: stop in order, whatever the demo was doing. npm forwards the terminal's SIGINT too, so
// a second signal right after the first is the same Ctrl-C; a later one means "now".
let stoppingSince = 0;
let finished = false;
function onSignal(): void {
  if (stoppingSince !== 0) {
    if (Date.now() - stoppingSince > 2000) process.exit(130);
    return;
  }
  stoppingSince = Date.now();
  say('stopping (Ctrl-C again to kill at once)');
  void teardown().finally(() => process.exit(finished ? 0 : 130));
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// Last resort on any exit: the servers' own exit hook kills them (stack/server-process.ts).
process.on('exit', () => void running.indexer?.stop('SIGKILL'));

async function servers(): Promise<{ endpoints: StackEndpoints; shared: boolean }> {
  const shared = endpointsFromEnv();
  if (shared?.kafka !== undefined && shared.opensearch !== undefined) {
    say(
      `using the servers in AKI_STACK: Kafka ${shared.kafka.bootstrap}, OpenSearch ${shared.opensearch.url}`,
    );
    return { endpoints: shared, shared: true };
  }
  say('starting Kafka and OpenSearch on loopback (the first run fetches them from Maven Central)');
  const stack = await LocalStack.start({
    components: ['kafka', 'opensearch'],
    log: (line) => say(line),
  });
  running.stack = stack;
  return { endpoints: stack.endpoints, shared: false };
}

const sum = (offsets: bigint[]): number => offsets.reduce((total, o) => total + Number(o < 0n ? 0n : o), 0);

interface Watched {
  indexer: IndexerProcess;
  /** Documents and refused messages sent: each ends indexed or on the failure topic. */
  expected: number;
  bootstrap: string;
  group: string;
  topic: string;
  startedAt: number;
  timeoutMs: number;
}

/**
 * Shows progress from the indexer's metrics until it has committed every message of the topic:
 * the indexer commits a message only once all its documents are indexed or on the failure topic.
 */
async function watch(w: Watched): Promise<{ seconds: number; firstSeconds: number }> {
  const messages = sum(await endOffsets(w.bootstrap, w.topic));
  let firstSeconds: number | undefined;
  let lastPrinted = 0;
  const deadline = w.startedAt + w.timeoutMs;
  while (performance.now() < deadline) {
    if (stoppingSince !== 0) throw new Error('interrupted');
    const [indexed, failed] = await Promise.all([
      w.indexer.metric('indexed_documents_total'),
      w.indexer.metric('msg_produced_success_total'),
    ]).catch(() => [0, 0]);
    const committed =
      indexed + failed >= w.expected
        ? sum(await committedOffsets(w.bootstrap, w.group, w.topic, partitions).catch(() => []))
        : 0;
    const seconds = (performance.now() - w.startedAt) / 1000;
    if (indexed > 0) firstSeconds ??= seconds;
    const done = committed >= messages;
    const line =
      `indexed ${indexed.toLocaleString('en')}, failed ${failed}, of ${w.expected.toLocaleString('en')}` +
      `${done ? `; all ${messages} messages committed` : ''} (${seconds.toFixed(1)} s)`;
    if (process.stdout.isTTY) process.stdout.write(`\r[demo] ${line}${done ? '\n' : ''}`);
    else if (done || performance.now() - lastPrinted > 2000) {
      say(line);
      lastPrinted = performance.now();
    }
    if (done) return { seconds, firstSeconds: firstSeconds ?? seconds };
    const exit = await Promise.race([w.indexer.exited, sleep(250).then(() => 'running' as const)]);
    if (exit !== 'running') {
      throw new Error(`the indexer exited (code ${exit}):\n${w.indexer.output.slice(-3000)}`);
    }
  }
  throw new Error(
    `not everything was handled within ${w.timeoutMs / 1000} s:\n${w.indexer.output.slice(-3000)}`,
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      exit: { type: 'boolean', default: false },
      sessions: { type: 'string', default: '702' },
      copies: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '180' },
    },
  });
  const [sessions, copies] = [Number(values.sessions), Number(values.copies)];
  if (!Number.isInteger(sessions) || sessions < 10 || sessions > 702)
    throw new Error('--sessions: 10 to 702');
  if (!Number.isInteger(copies) || copies < 1) throw new Error('--copies: a positive integer');

  const { endpoints, shared } = await servers();
  const bootstrap = endpoints.kafka!.bootstrap;
  const url = endpoints.opensearch!.url;
  running.logDir = endpoints.dir;
  // On servers shared with tests every name is unique; on its own stack the names read like Arkime's.
  const base = shared ? `${uniqueName('demo')}-` : '';
  const topic = `${base}arkime-json`;
  const failureTopic = `${topic}-failed`;

  const traffic = demoTraffic(base, sessions, copies);
  for (const format of formats) running.cleanups.push(await installTemplate(url, traffic.prefixes[format]));
  say(`sessions3 template installed for ${formats.map((f) => `${traffic.prefixes[f]}-*`).join(', ')}`);
  await createTopic(bootstrap, topic, partitions);
  await createTopic(bootstrap, failureTopic, partitions);
  await produce(bootstrap, topic, traffic.messages, partitions);
  say(
    `produced ${traffic.messages.length} messages to ${topic}: ${traffic.documents.toLocaleString('en')} ` +
      `sessions in the bulk, bulk1 and doc formats (${traffic.broken} breaking the mapping) ` +
      `and ${traffic.rejectedMessages} message that is not Arkime's`,
  );

  const group = `${base}arkime-kafka-indexer`;
  const startedAt = performance.now();
  const indexer = await IndexerProcess.start({
    KAFKA_CONSUMER_BROKERS: bootstrap,
    KAFKA_CONSUMER_TOPIC: topic,
    KAFKA_CONSUMER_GROUP_NAME: group,
    KAFKA_PRODUCER_BROKERS: bootstrap,
    KAFKA_PRODUCER_TOPIC: failureTopic,
    ELASTIC_SERVICE: url,
    BULKER_FLUSH_INTERVAL: '1s',
    LOG_LEVEL: 'info',
  });
  running.indexer = indexer;
  say(`indexer started (pid ${indexer.pid}, metrics on port ${indexer.port})`);
  const { seconds, firstSeconds } = await watch({
    indexer,
    expected: traffic.documents + traffic.rejectedMessages,
    bootstrap,
    group,
    topic,
    startedAt,
    timeoutMs: Number(values.timeout) * 1000,
  });

  const failed = await indexer.metric('msg_produced_success_total');
  const metricsUrl = `http://127.0.0.1:${indexer.port}`;
  const healthy = await fetch(`${metricsUrl}/healthz`).then(
    (r) => r.ok,
    () => false,
  );
  const patterns = formats.map((f) => `${traffic.prefixes[f]}-*`);
  console.log(
    `\n${report({
      sent: traffic.sent,
      counts: await indexCounts(url, patterns),
      failures: await failureRecords(bootstrap, failureTopic, failed),
      failureTopic,
      seconds,
      firstSeconds,
      indexedDocuments: await indexer.metric('indexed_documents_total'),
      indexedBytes: await indexer.metric('indexed_documents_bytes'),
      urls: [
        ['status', `${metricsUrl}/`],
        ['metrics', `${metricsUrl}/metrics`],
        ...(healthy ? [['health', `${metricsUrl}/healthz`] as [string, string]] : []),
        ['sessions', `${url}/${patterns.join(',')}/_search?pretty`],
        ['indices', `${url}/_cat/indices/${patterns.join(',')}?v`],
        ['logs', endpoints.dir],
      ],
    })}\n`,
  );
  finished = true;
  if (values.exit || shared) {
    await teardown();
    return 0;
  }
  say('everything keeps running for a look at the URLs above; Ctrl-C stops the indexer and the servers');
  setInterval(() => undefined, 1 << 30);
  const code = await indexer.exited;
  if (stoppingSince !== 0) return new Promise(() => undefined); // Ctrl-C: the signal handler exits
  say(`the indexer exited by itself (code ${code}); stopping the servers`);
  await teardown();
  return 1;
}

main().then(
  (code) => {
    if (stoppingSince === 0) process.exit(code);
  },
  async (error: unknown) => {
    if (stoppingSince !== 0) return; // interrupted: the signal handler is stopping everything
    console.error(`[demo] ${error instanceof Error ? error.message : String(error)}`);
    stoppingSince = Date.now();
    await teardown().catch(() => undefined);
    process.exit(1);
  },
);
