// The indexer against a production-shaped Kafka (three brokers, topics on three replicas with
// min.insync.replicas=2) that loses brokers while Arkime sessions flow in at a steady rate: a
// rolling restart, the loss of the leader and group coordinator, and the whole cluster going away.
// Each test reports the sessions produced and indexed and the longest pause in indexing.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { arkimeMessages, readSessions } from '../../stack/arkime.js';
import type { KafkaCluster } from '../../stack/kafka-cluster.js';
import { endOffsets, readRecords, type Replication } from '../../stack/kafka-topics.js';
import { uniqueName } from '../../stack/names.js';
import { count } from '../../stack/search-client.js';
import { IndexProgress } from '../helpers/index-progress.js';
import { indexerRun, stopCleanly, type IndexerProcess, type IndexerRun } from '../helpers/indexer.js';
import { cpuSeconds } from '../helpers/rss.js';
import { flowDay, SessionFlow } from '../helpers/session-flow.js';
import { ownKafkaCluster, required, useStack } from '../helpers/stack.js';

const partitions = 6;
const replicated: Replication = { replicas: 3, minInSync: 2 };
/** Small bulks (many commits while the stream lasts) and quick search retries. */
const settings = { BULKER_MAX_MESSAGES: '50', ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '1s' };
const flowRate = { perSecond: 120, minSessions: 5000, maxSessions: 9000 };
const failedFetch = 'Kafka consumer failed; fetching again, waiting longer after each failed try';
const fetchingAgain = 'Kafka consumer fetching again';

// The suite's own time limit: the runner's 300 s applies to a describe block as a whole.
describe('a three-broker Kafka cluster losing brokers mid-stream', { timeout: 15 * 60_000 }, () => {
  let cluster: KafkaCluster;
  let url: string;

  before(async () => {
    const [search, kafka] = await Promise.all([useStack('opensearch'), ownKafkaCluster('cluster')]);
    url = required(search.opensearch, 'opensearch').url;
    cluster = kafka;
    await cluster.start();
  });
  after(() => cluster.stop());

  /** A run on the cluster, the indexer started, sessions flowing and the index sampled. */
  async function flowingRun(t: TestContext, name: string, replication = replicated, group?: string) {
    const bootstrap = cluster.bootstrap;
    const run = await indexerRun(t, {
      bootstrap,
      url,
      name,
      partitions,
      replication,
      ...(group !== undefined && { group }),
    });
    const indexer = await run.start(settings);
    const flow = new SessionFlow({
      bootstrap,
      topic: run.topic,
      partitions,
      prefix: run.prefix,
      ...flowRate,
    });
    t.after(() => flow.finish().catch(() => undefined));
    const progress = new IndexProgress(url, `${run.prefix}-*`, () => flow.produced.length);
    t.after(() => progress.stop());
    // Faults begin once indexing is under way.
    await indexer.waitFor('indexing under way', async () => (await count(url, `${run.prefix}-*`)) >= 500);
    return { run, indexer, flow, progress };
  }

  /**
   * Ends the flow, waits until every session in the topic is indexed and committed, and reports.
   * The topic is the reference: it is what the indexer can see. Every session the flow's producer
   * had acknowledged (acks=all) must be in it: with acks=1 a rolling restart dropped 10–20 of 9,000.
   */
  async function settle(
    scenario: string,
    { run, indexer, flow, progress }: Awaited<ReturnType<typeof flowingRun>>,
  ): Promise<Map<string, number>> {
    await flow.finish();
    await run.waitAllCommitted(indexer, 120_000);
    const inTopic = await sessionsInTopic(run);
    await indexer.waitFor(
      'every session of the topic in the index',
      async () => (await count(url, `${run.prefix}-*`)) >= inTopic.size,
      60_000,
    );
    const { longestPauseMs } = await progress.stop();
    assert.ok(indexer.running, 'the indexer never exited');
    const stored = await run.documents();
    const notInTopic = flow.produced.filter((s) => !inTopic.has(s.id)).length;
    console.log(
      `# ${scenario}: ${flow.produced.length} sessions produced (acknowledged), ${inTopic.size} in the topic, ` +
        `${new Set(stored.map((d) => d._id)).size} indexed, longest pause in indexing ${(longestPauseMs / 1000).toFixed(1)} s, ` +
        `${flow.resends} sends tried again, ${notInTopic} acknowledged sessions missing from the topic, indexer exits 0`,
    );
    assert.equal(notInTopic, 0, 'every session acknowledged by all in-sync replicas is in the topic');
    assert.deepEqual(
      new Set(stored.map((d) => d._id)),
      new Set(inTopic.keys()),
      'every _id in the topic indexed, and nothing else',
    );
    assert.equal(stored.length, inTopic.size);
    return inTopic;
  }

  test('rolling restart (SIGTERM each broker in turn): every session indexed, mapping breakers counted on the failure topic', async (t) => {
    const flowing = await flowingRun(t, 'arkime_rolling');
    const { run, indexer, flow } = flowing;
    const corpus = readSessions();
    let breakers = 0;
    for (const broker of cluster.brokers) {
      await broker.stop();
      // Documents the sessions3 mapping refuses, sent while a broker is away: the failure
      // producer (acks=all) must deliver each once, to the two brokers left.
      const broken = corpus.slice(breakers, breakers + 3).map((s, i) => ({
        ...s,
        index: flowDay,
        id: `${s.id}-breaker${breakers + i}`,
        doc: { ...s.doc, firstPacket: 'yesterday' },
      }));
      await flow.inject(arkimeMessages(broken, 'bulk1', run.prefix));
      breakers += broken.length;
      await sleep(3000);
      await broker.start();
      // As an operator would: the next broker goes only once every replica has caught up.
      await waitInSync(cluster, [run.topic, run.failures, '__consumer_offsets']);
    }
    await settle('rolling restart', flowing);
    await indexer.waitForMetric('msg_produced_success_total', (n) => n === breakers);
    assert.deepEqual(
      await endOffsets(cluster.bootstrap, run.failures),
      [BigInt(breakers)],
      'each breaker once',
    );
    console.log(`# rolling restart: ${breakers} mapping breakers sent, ${breakers} on the failure topic`);
    await stopCleanly(indexer);
  });

  test('the broker leading most partitions and coordinating the group killed (SIGKILL), started after 20 s: commits resume', async (t) => {
    // The group is named first, so that the topic's leaders can be put on its coordinator.
    const group = uniqueName('indexer');
    const victim = await cluster.coordinator(group);
    const others = cluster.brokers.map((b) => b.nodeId).filter((id) => id !== victim);
    const leaders = [victim, victim, victim, victim, ...others];
    const flowing = await flowingRun(t, 'arkime_leader', { ...replicated, leaders }, group);
    const { run, indexer } = flowing;
    const led = (await cluster.partitions(run.topic)).filter((p) => p.leader === victim).length;
    assert.ok(led > partitions / 2, `node ${victim} leads ${led} of ${partitions} partitions`);
    assert.equal(await cluster.coordinator(group), victim, 'and coordinates the group');

    await cluster.broker(victim).kill();
    await sleep(20_000);
    await cluster.broker(victim).start();
    console.log(
      `# leader loss: node ${victim} (leader of ${led}/${partitions} partitions, group coordinator) killed for 20 s`,
    );
    await settle('leader loss', flowing);
    await run.assertNoFailureRecords();
    await stopCleanly(indexer);
  });

  test('the whole cluster down 30 s, then back: not ready meanwhile, one line each way, every session exactly once', async (t) => {
    const flowing = await flowingRun(t, 'arkime_down');
    const { run, indexer, flow } = flowing;
    await flow.pause();
    const cpuBefore = cpuSeconds(indexer.pid);
    await cluster.stop();
    const down = Date.now();
    await indexer.waitFor('/readyz 503', async () => (await readyz(indexer)) === 503, 30_000);
    const notReadyAfterMs = Date.now() - down;
    await sleep(Math.max(0, 30_000 - (Date.now() - down)));
    assert.equal(await readyz(indexer), 503, 'not ready while the cluster is down');
    assert.ok(indexer.running, 'still running');
    const cpu = cpuSeconds(indexer.pid) - cpuBefore;
    await cluster.start();
    flow.resume();
    await indexer.waitFor('/readyz 200', async () => (await readyz(indexer)) === 200, 120_000);
    const readyAfterMs = Date.now() - down;

    const inTopic = await settle('whole cluster down', flowing);
    const lines = (msg: string): number => indexer.lines.filter((l) => l['msg'] === msg).length;
    const warnings = new Map<string, number>();
    for (const line of indexer.lines.filter((l) => Number(l['level']) >= 40)) {
      const msg = String(line['msg']);
      warnings.set(msg, (warnings.get(msg) ?? 0) + 1);
    }
    console.log(
      `# whole cluster down: 503 after ${notReadyAfterMs} ms, 200 again ${readyAfterMs} ms after the stop; ` +
        `indexer CPU ${cpu.toFixed(2)} s while down; "${failedFetch}" ×${lines(failedFetch)}, ` +
        `"${fetchingAgain}" ×${lines(fetchingAgain)}; warnings and errors: ${JSON.stringify([...warnings])}`,
    );
    assert.equal(lines(failedFetch), 1, 'one line when the streak starts');
    assert.equal(lines(fetchingAgain), 1, 'one line when it ends');
    assert.ok(cpu < 6, `no spinning: ${cpu} CPU seconds while the cluster was down`);
    // A session the flow resent is in the topic twice and may be written twice; any other once.
    const twice = (await run.documents()).filter((d) => d._version > (inTopic.get(d._id) ?? 1));
    assert.deepEqual(
      twice.map((d) => d._id),
      [],
      'no session indexed twice',
    );
    await run.assertNoFailureRecords();
    await stopCleanly(indexer);
  });
});

/** Each session `_id` in the run's topic (mapping breakers left out) and how many records carry it. */
async function sessionsInTopic(run: IndexerRun): Promise<Map<string, number>> {
  const total = (await endOffsets(run.bootstrap, run.topic)).reduce((sum, end) => sum + Number(end), 0);
  const records = await readRecords(run.bootstrap, run.topic, total, 120_000);
  assert.equal(records.length, total, 'the whole topic read');
  const ids = new Map<string, number>();
  for (const record of records) {
    const id = /"_id": "([^"]+)"/.exec(record.value.toString())?.[1];
    if (id !== undefined && !id.includes('-breaker')) ids.set(id, (ids.get(id) ?? 0) + 1);
  }
  return ids;
}

async function readyz(indexer: IndexerProcess): Promise<number> {
  return (await fetch(`http://127.0.0.1:${indexer.port}/readyz`)).status;
}

/** Waits until every partition of `topics` has all its replicas in sync again (at most 60 s). */
async function waitInSync(cluster: KafkaCluster, topics: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const lagging = [];
    for (const topic of topics) {
      for (const p of await cluster.partitions(topic)) {
        if (p.isr.length < cluster.brokers.length) lagging.push(`${topic}/${p.partition}`);
      }
    }
    if (lagging.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`replicas still out of sync after 60 s: ${lagging.join(', ')}`);
    await sleep(500);
  }
}
