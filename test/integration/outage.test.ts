// The search cluster misbehaving for real: a node of its own with a write pool of one thread and
// a queue of one, so that parallel bulks get genuine per-item 429 rejections, and that is then
// stopped mid-stream and started again.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { arkimeMessages, copiesOf, readSessions } from '../../stack/arkime.js';
import { SearchNode } from '../../stack/search-node.js';
import { indexerRun, stopCleanly } from '../helpers/indexer.js';
import { overloadedWritePool, rejectionsResentAlone } from '../helpers/scenarios.js';
import { residentBytes } from '../helpers/rss.js';
import { ownOpenSearch, required, useStack } from '../helpers/stack.js';

describe('an overloaded, then stopped, search node', () => {
  let bootstrap: string;
  let node: SearchNode;

  before(async () => {
    bootstrap = required((await useStack('kafka')).kafka, 'kafka').bootstrap;
    node = await SearchNode.create({
      ...ownOpenSearch('outage'),
      nodeName: 'overloaded',
      settings: overloadedWritePool,
    });
    await node.start();
  });
  after(() => node.stop());

  /** A run against the overloaded node, retrying at most a second apart. */
  const overloadedRun = async (t: TestContext, name: string, partitions: number) =>
    indexerRun(t, { bootstrap, url: node.url, name, partitions });
  const retryQuickly = { ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '1s' };

  test('real per-item 429 rejections are resent alone until indexed: none on the failure topic', async (t) => {
    const retries = await rejectionsResentAlone(t, { bootstrap, url: node.url });
    console.log(`# overload: every session indexed, ${retries} bulk retries, 0 failed`);
  });

  test('stopped mid-stream longer than the retry interval, then started: every session once, memory flat', async (t) => {
    const run = await overloadedRun(t, 'arkime_outage', 2);
    // All of one day, ten copies with their own ids: 1,770 sessions, about 2.7 MB.
    const day = readSessions().filter((s) => s.index.endsWith('-250124'));
    const sessions = copiesOf(day, 10, 'outage');
    const messages = arkimeMessages(sessions, 'bulk1', run.prefix);
    // A quarter before the outage, the rest (about 2 MB, twice MAX_BUFFERED_BYTES) during it.
    const half = Math.floor(messages.length / 4);
    await run.produce(messages.slice(0, half));

    const maxBuffered = 1024 * 1024;
    // Enough requests in flight that MAX_BUFFERED_BYTES, not the indexers, is what stops fetching.
    const indexer = await run.start({
      ...retryQuickly,
      MAX_BUFFERED_BYTES: String(maxBuffered),
      ELASTIC_INDEXER_INSTANCES: '8',
      BULKER_MAX_BYTES: '300_000',
      BULKER_MAX_MESSAGES: '1000',
    });
    let peakRss = 0;
    let peakBuffered = 0;
    const sample = async (): Promise<void> => {
      peakRss = Math.max(peakRss, residentBytes(indexer.pid));
      peakBuffered = Math.max(peakBuffered, await indexer.metric('buffered_bytes'));
    };
    await indexer.waitForMetric('indexed_documents_total', (n) => n === half);
    await node.stop();
    await run.produce(messages.slice(half));
    // Retried until the indexer says the cluster is unavailable (ELASTIC_CLIENT_MAX_RETRIES tries
    // in a row, longer than the longest retry interval many times over), and fetching paused on
    // the buffer bound.
    await indexer.waitFor('the outage reported, fetching paused at MAX_BUFFERED_BYTES', async () => {
      await sample();
      return (
        (await indexer.metric('search_cluster_unavailable')) === 1 &&
        (await indexer.metric('fetch_paused')) === 1 &&
        peakBuffered >= maxBuffered
      );
    });
    await node.start();
    await indexer.waitFor(
      'every session indexed after the restart',
      async () => {
        await sample();
        return (await indexer.metric('indexed_documents_total')) >= sessions.length;
      },
      120_000,
    );
    await run.waitAllCommitted(indexer);
    // Sampled all along, outage and recovery: never more than the bound and one message.
    assert.ok(
      peakBuffered <= maxBuffered + Math.max(...messages.map((m) => m.length)),
      `buffered ${peakBuffered}`,
    );
    // Counted when fetching resumes: the pause was the buffer bound's, not busy indexers'.
    assert.ok((await indexer.metric('fetch_paused_seconds_total', 'reason="max_buffered_bytes"')) > 0);
    assert.equal(await indexer.metric('search_cluster_unavailable'), 0);
    assert.equal(await indexer.metric('session_index_failure_total'), 0);
    console.log(
      `# outage: ${sessions.length} produced and indexed, 0 failed, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB, peak buffered ${peakBuffered} bytes`,
    );
    await stopCleanly(indexer);
    const stored = await run.documents();
    assert.equal(stored.length, sessions.length, 'no session lost, none twice');
    assert.deepEqual(new Set(stored.map((d) => d._id)), new Set(sessions.map((s) => s.id)));
    await run.assertNoFailureRecords();
  });
});
