// Seconds behind capture, against the real Kafka broker and an OpenSearch node of the test's own:
// records stamped minutes ago are produced while the node is paused (SIGSTOP: it holds its
// connections and answers nothing), and /metrics and /status.json must give their age within a
// second of the truth; once the node runs again, every partition falls to 0.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { arkimeMessages, readSessions } from '../../stack/arkime.js';
import { produceRecords } from '../../stack/kafka-topics.js';
import { SearchNode } from '../../stack/search-node.js';
import { indexerRun, stopCleanly, type IndexerProcess } from '../helpers/indexer.js';
import { ownOpenSearch, required, useStack } from '../helpers/stack.js';

interface StatusBehind {
  behind: {
    seconds: number | null;
    slowest: { topic: string; partition: number } | null;
    partitions: { partition: number; seconds: number | null; timestampType: string }[];
  };
}

/** A reading of the indexer and the true age of `stamped` at its start and end: the reading must lie between. */
async function reading<T>(
  read: () => Promise<T>,
  stamped: number,
): Promise<{ value: T; from: number; to: number }> {
  const from = (Date.now() - stamped) / 1000;
  const value = await read();
  return { value, from, to: (Date.now() - stamped) / 1000 };
}

function within(seconds: number | null | undefined, truth: { from: number; to: number }, what: string): void {
  assert.ok(
    seconds !== null && seconds !== undefined && seconds >= truth.from - 1 && seconds <= truth.to + 1,
    `${what}: ${seconds} s, the truth between ${truth.from.toFixed(2)} and ${truth.to.toFixed(2)} s`,
  );
}

describe('seconds behind capture', () => {
  let bootstrap: string;
  let node: SearchNode;

  before(async () => {
    bootstrap = required((await useStack('kafka')).kafka, 'kafka').bootstrap;
    node = await SearchNode.create({ ...ownOpenSearch('behind'), nodeName: 'behind' });
    await node.start();
  });
  after(async () => {
    node.resume();
    await node.stop();
  });

  test('records minutes old wait while the node is paused: their age on /metrics and /status.json; 0 once indexed', async (t) => {
    const run = await indexerRun(t, { bootstrap, url: node.url, name: 'arkime_behind', partitions: 2 });
    const sessions = readSessions().slice(0, 40);
    const [warmUp, waiting] = [sessions.slice(0, 10), sessions.slice(10)];
    const indexer: IndexerProcess = await run.start({ ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '1s' });
    // Indices created and the node known to answer before it is paused.
    await run.produce(arkimeMessages(warmUp, 'bulk1', run.prefix));
    await indexer.waitForMetric('indexed_documents_total', (n) => n === warmUp.length);

    node.pause();
    // Partition 0 stamped three minutes ago, partition 1 one minute ago, as a capture host would have.
    const now = Date.now();
    const stamps = [now - 180_000, now - 60_000];
    const values = arkimeMessages(waiting, 'bulk1', run.prefix);
    await produceRecords(
      bootstrap,
      run.topic,
      values.map((value, i) => ({ partition: i % 2, value, timestamp: BigInt(stamps[i % 2] as number) })),
    );
    await indexer.waitForMetric('msgs_consumed_total', (n) => n === warmUp.length + waiting.length);

    for (const partition of [0, 1]) {
      const stamped = stamps[partition] as number;
      const fromMetrics = await reading(
        () => indexer.metric('consumer_lag_seconds', `partition="${partition}"`),
        stamped,
      );
      within(fromMetrics.value, fromMetrics, `/metrics, partition ${partition}`);
    }
    const status = await reading(
      async () =>
        (await (await fetch(`http://127.0.0.1:${indexer.port}/status.json`)).json()) as StatusBehind,
      stamps[0] as number,
    );
    within(status.value.behind.seconds, status, '/status.json, the slowest partition');
    assert.deepEqual(status.value.behind.slowest, { topic: run.topic, partition: 0 });
    const [p0, p1] = status.value.behind.partitions;
    within(p0?.seconds, status, '/status.json, partition 0');
    assert.ok(
      (p1?.seconds ?? 0) < (p0?.seconds ?? 0) - 100,
      'partition 1, stamped two minutes later, is two minutes less behind',
    );
    assert.equal(p0?.timestampType, 'create_time');

    node.resume();
    await indexer.waitForMetric('indexed_documents_total', (n) => n === sessions.length, '', 120_000);
    await indexer.waitFor('every partition 0 s behind', async () => {
      const metrics = await indexer.metrics();
      const rows = metrics
        .split('\n')
        .filter((line) => line.startsWith('arkime_kafkaindexer_consumer_lag_seconds{'));
      return rows.length === 2 && rows.every((line) => line.endsWith(' 0'));
    });
    const caughtUp = (await (
      await fetch(`http://127.0.0.1:${indexer.port}/status.json`)
    ).json()) as StatusBehind;
    assert.deepEqual([caughtUp.behind.seconds, caughtUp.behind.slowest], [0, null]);
    await stopCleanly(indexer);
  });
});
