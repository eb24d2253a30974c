// A real two-node cluster on loopback (OpenSearch: it starts in about a third of Elasticsearch's
// time here), shared by the cases: the indexer seeded with one node finds the other; one node
// stopped mid-stream and started again costs nothing; gzip bodies arrive.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test, type TestContext } from 'node:test';
import { arkimeMessages, copiesOf, readSessions, sessions3TemplatePath } from '../../stack/arkime.js';
import { call } from '../../stack/search-client.js';
import { SearchNode } from '../../stack/search-node.js';
import { indexerRun, stopCleanly, type IndexerRun } from '../helpers/indexer.js';
import { ownOpenSearch, required, useStack } from '../helpers/stack.js';

/** One day of the real corpus (177 sessions): one daily index, so index creation stays out of the timings. */
const oneDay = readSessions().filter((s) => s.index.endsWith('-250124'));

/** HTTP connections each node has accepted since it started, by node name (the nodes' own count). */
async function httpConnectionsOpened(url: string): Promise<Map<string, number>> {
  const stats = (await call('GET', `${url}/_nodes/stats/http`)) as {
    nodes: Record<string, { name: string; http: { total_opened: number } }>;
  };
  return new Map(Object.values(stats.nodes).map((n) => [n.name, n.http.total_opened]));
}

/** Installs the sessions3 template for `<prefix>-*` with one replica: every shard on both nodes. */
async function installReplicatedTemplate(url: string, prefix: string): Promise<() => Promise<void>> {
  const template = JSON.parse(readFileSync(sessions3TemplatePath, 'utf8')) as {
    index_patterns: string[];
    template: { settings: { index: Record<string, unknown> } };
  };
  template.index_patterns = [`${prefix}-*`];
  template.template.settings.index['number_of_replicas'] = 1;
  await call('PUT', `${url}/_index_template/${prefix}`, template);
  return async () => {
    await call('DELETE', `${url}/${prefix}-*?ignore_unavailable=true&allow_no_indices=true`);
    await call('DELETE', `${url}/_index_template/${prefix}`);
  };
}

describe('search nodes: discovery, a node lost mid-stream, gzip', () => {
  let bootstrap: string;
  let a: SearchNode;
  let b: SearchNode;

  before(async () => {
    bootstrap = required((await useStack('kafka')).kafka, 'kafka').bootstrap;
    [a, b] = (await SearchNode.cluster({ ...ownOpenSearch('search-nodes'), heapMb: 512 }, ['a', 'b'])) as [
      SearchNode,
      SearchNode,
    ];
    await Promise.all([a.start(), b.start()]);
  });
  after(() => Promise.all([a?.stop(), b?.stop()]));

  /** A run seeded with node a only; `template: false` where the test installs its own. */
  const runOnA = (t: TestContext, name: string, partitions: number, template = true): Promise<IndexerRun> =>
    indexerRun(t, { bootstrap, url: a.url, name, partitions, template });
  const settings = { ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '1s', BULKER_MAX_MESSAGES: '20' };

  test('seeded with one node, the indexer finds the other and sends bulks to both', async (t) => {
    const run = await runOnA(t, 'arkime_discover', 2);
    await run.produce(arkimeMessages(oneDay, 'bulk1', run.prefix));
    const opened = await httpConnectionsOpened(a.url);

    const indexer = await run.start(settings);
    // The pool's size and the requests by node say that b was found and put in rotation.
    await indexer.waitForMetric('es_client_total_connections_total', (n) => n === 2);
    await indexer.waitForMetric('indexed_documents_total', (n) => n === oneDay.length);
    const toA = await indexer.metric('es_client_requests_total', `url="${a.url}"`);
    const toB = await indexer.metric('es_client_requests_total', `url="${b.url}"`);
    assert.ok(toA > 0 && toB > 0, `bulks to a: ${toA}, to b: ${toB}`);
    console.log(`# discovery: ${oneDay.length} sessions, ${toA} bulks to the seed, ${toB} to the found node`);
    await stopCleanly(indexer);
    // The nodes' own count: b accepted connections it can only have had from the indexer.
    const openedAfter = await httpConnectionsOpened(a.url);
    assert.ok(
      (openedAfter.get('b') ?? 0) > (opened.get('b') ?? 0),
      'node b saw connections from the indexer',
    );
    const stored = await run.documents();
    assert.deepEqual(new Set(stored.map((d) => d._id)), new Set(oneDay.map((s) => s.id)));
    await run.assertNoFailureRecords();
  });

  test('one node stopped mid-stream and started again: every session once, none failed, the node back in rotation', async (t) => {
    // Stop the node that is not the cluster manager: with two nodes, only one of them votes.
    const manager = ((await call('GET', `${a.url}/_cat/master?format=json`)) as { node: string }[])[0]?.node;
    const [stay, lose] = manager === 'b' ? [b, a] : [a, b];
    const run = await runOnA(t, 'arkime_loss', 2, false);
    const { prefix } = run;
    after(await installReplicatedTemplate(stay.url, prefix));
    const sessions = copiesOf(oneDay, 6, 'loss'); // 1,062 sessions
    const messages = arkimeMessages(sessions, 'bulk1', prefix);
    const third = Math.floor(messages.length / 3);
    const [streamed, duringOutage, afterRestart] = [
      messages.slice(0, third),
      messages.slice(third, 2 * third),
      messages.slice(2 * third),
    ];

    const indexer = await run.start({
      ...settings,
      ELASTIC_CLIENT_DISCOVER_INTERVAL: '2s',
      ELASTIC_INDEXER_INSTANCES: '2',
    });
    const indexed = () => indexer.metric('indexed_documents_total');
    await indexer.waitForMetric('es_client_total_connections_total', (n) => n === 2);
    // A steady stream, 30 messages every 150 ms; the node stops in the middle of it.
    const stream = (async () => {
      for (let i = 0; i < streamed.length; i += 30) {
        await run.produce(streamed.slice(i, i + 30));
        await sleep(150);
      }
    })();
    await indexer.waitFor('the stream under way', async () => (await indexed()) >= 60);
    // The replica must be in sync before a node goes: a primary whose replica is still
    // initializing has no copy to promote, and its index stays red until the node is back.
    const health = (await call(
      'GET',
      `${stay.url}/_cluster/health/${prefix}-*?wait_for_status=green&timeout=30s`,
    )) as { status: string };
    assert.equal(health.status, 'green', 'the index and its replica allocated before the stop');
    await lose.stop();
    await stream;
    await run.produce(duringOutage);
    await indexer.waitFor(
      'everything sent so far indexed, with one node',
      async () => (await indexed()) >= streamed.length + duringOutage.length,
    );
    // Out of rotation: marked dead, or dropped from the pool once the cluster no longer lists it.
    await indexer.waitFor(
      'the stopped node out of rotation',
      async () =>
        (await indexer.metric('es_client_dead_connections_total')) === 1 ||
        (await indexer.metric('es_client_total_connections_total')) === 1,
      30_000,
    );

    const restart = performance.now();
    await lose.start();
    const restartSeconds = ((performance.now() - restart) / 1000).toFixed(1);
    await indexer.waitFor(
      'the restarted node back in the pool, alive',
      async () =>
        (await indexer.metric('es_client_total_connections_total')) === 2 &&
        (await indexer.metric('es_client_dead_connections_total')) === 0,
      30_000,
    );
    const toLoseBefore = await indexer.metric('es_client_requests_total', `url="${lose.url}"`);
    await run.produce(afterRestart);
    await indexer.waitFor('every session indexed', async () => (await indexed()) >= sessions.length, 60_000);
    const toLoseAfter = await indexer.metric('es_client_requests_total', `url="${lose.url}"`);
    assert.ok(toLoseAfter > toLoseBefore, `bulks to the restarted node: ${toLoseBefore} → ${toLoseAfter}`);
    assert.equal(await indexer.metric('session_index_failure_total'), 0);
    console.log(
      `# node loss: ${sessions.length} sessions, ${await indexer.metric('bulk_index_retry_total')} bulk retries, ` +
        `${toLoseAfter - toLoseBefore} bulks to the restarted node after its return (restart took ${restartSeconds} s)`,
    );
    await stopCleanly(indexer);
    const stored = await run.documents();
    assert.equal(stored.length, sessions.length, 'no session lost, none twice');
    assert.deepEqual(new Set(stored.map((d) => d._id)), new Set(sessions.map((s) => s.id)));
    await run.assertNoFailureRecords();
  });

  test('gzip request bodies: the documents arrive', async (t) => {
    const run = await runOnA(t, 'arkime_gzip', 1);
    await run.produce(arkimeMessages(oneDay, 'bulk', run.prefix, 60_000));

    const indexer = await run.start({ ...settings, ELASTIC_CLIENT_COMPRESS_REQUESTS: 'true' });
    await indexer.waitForMetric('indexed_documents_total', (n) => n === oneDay.length);
    const plain = await indexer.metric('bulk_compress_bytes_total', 'stage="in"');
    const packed = await indexer.metric('bulk_compress_bytes_total', 'stage="out"');
    assert.ok(packed > 0 && packed < plain / 2, `gzip: ${plain} → ${packed} bytes`);
    assert.ok((await indexer.metric('bulk_compress_seconds_total')) > 0);
    console.log(`# gzip: ${oneDay.length} sessions, ${plain} bytes sent as ${packed}`);
    await stopCleanly(indexer);
    const stored = await run.documents();
    assert.equal(stored.length, oneDay.length);
    const byId = new Map(stored.map((d) => [d._id, d._source]));
    for (const session of oneDay) assert.deepEqual(byId.get(session.id), session.doc, session.id);
    await run.assertNoFailureRecords();
  });
});
