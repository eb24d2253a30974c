// Adaptive bulk concurrency against the real search node behind the real latency proxy: the
// limit rises when round trips are made of distance (20 ms each way) rather than of the node's
// work, and falls under genuine 429s from a node whose write pool has one thread and a queue of
// one. Every session is indexed once in both, none dead-lettered.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { arkimeMessages, copiesOf, readSessions } from '../../stack/arkime.js';
import { LatencyProxy } from '../../stack/latency-proxy.js';
import { count } from '../../stack/search-client.js';
import { SearchNode } from '../../stack/search-node.js';
import { indexerRun, stopCleanly, type IndexerProcess } from '../helpers/indexer.js';
import { overloadedWritePool } from '../helpers/scenarios.js';
import { kafkaAnd, ownOpenSearch, type KafkaAndSearch } from '../helpers/stack.js';

/** One day's sessions (one index, so one write task a bulk), `copies` times over with their own ids. */
function oneDay(copies: number, tag: string) {
  const day = readSessions().filter((s) => s.index.endsWith('-250124'));
  return copiesOf(day, copies, tag);
}

/** Samples the limit every 100 ms until `done` holds: its highest value and its lowest after the highest. */
async function watchLimit(indexer: IndexerProcess, done: () => Promise<boolean>, timeoutMs: number) {
  let peak = 0;
  let lowAfterPeak = Infinity;
  const samples: number[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // Before its HTTP server listens, the indexer has no limit to show.
    const limit = await indexer.metric('bulk_concurrency_limit').catch(() => 0);
    samples.push(limit);
    if (limit > peak) {
      peak = limit;
      lowAfterPeak = limit;
    } else lowAfterPeak = Math.min(lowAfterPeak, limit);
    if (await done().catch(() => false)) return { peak, lowAfterPeak, samples };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `not done within ${timeoutMs} ms; limits seen ${samples.join(',')}\n${indexer.output.slice(-3000)}`,
  );
}

/** The settings both runs share: the proxy's address only (discovery would find the node's own). */
const throughProxy = (proxy: LatencyProxy) => ({
  ELASTIC_SERVICE: proxy.url,
  ELASTIC_CLIENT_DISCOVER_NODES: 'false',
  ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '500ms',
  BULKER_MAX_MESSAGES: '50',
});

describe('adaptive bulk concurrency', () => {
  let servers: KafkaAndSearch;
  let overloaded: SearchNode;
  const proxies: LatencyProxy[] = [];

  before(async () => {
    servers = await kafkaAnd('opensearch');
    overloaded = await SearchNode.create({
      ...ownOpenSearch('adaptive'),
      nodeName: 'overloaded',
      settings: overloadedWritePool,
    });
    await overloaded.start();
  });
  after(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await overloaded.stop();
  });

  test('rises behind 20 ms of added latency each way', async (t) => {
    const proxy = await LatencyProxy.start(servers.url, { latencyMs: 20 });
    proxies.push(proxy);
    const run = await indexerRun(t, { ...servers, name: 'arkime_far', partitions: 2 });
    const sessions = oneDay(40, 'far');
    await run.produce(arkimeMessages(sessions, 'bulk1', run.prefix));

    const indexer = await run.start(throughProxy(proxy));
    const indexed = async () => (await indexer.metric('indexed_documents_total')) === sessions.length;
    const { peak, samples } = await watchLimit(indexer, indexed, 60_000);
    const rtt = await indexer.metric('bulk_concurrency_rtt_seconds');
    console.log(
      `# 20 ms each way: ${sessions.length} sessions, limit peaked at ${peak} (samples ${samples.join(',')}), baseline RTT ${(rtt * 1000).toFixed(0)} ms`,
    );
    assert.ok(peak >= 4, `the limit rose from 1 to ${peak} only`);
    // The round trip the limit judges by is the proxy's 40 ms and the node's work.
    assert.ok(rtt >= 0.04, `baseline RTT ${rtt} s`);
    assert.equal(await indexer.metric('bulk_concurrency_decreases_total', 'reason="back_pressure"'), 0);
    assert.equal(await indexer.metric('session_index_failure_total'), 0);
    await run.waitAllCommitted(indexer);
    await stopCleanly(indexer);
    assert.equal(await count(servers.url, `${run.prefix}-*`), sessions.length);
  });

  test('falls under real 429s from a one-thread write pool; every session indexed, none failed', async (t) => {
    const proxy = await LatencyProxy.start(overloaded.url, { latencyMs: 5 });
    proxies.push(proxy);
    const run = await indexerRun(t, { ...servers, url: overloaded.url, name: 'arkime_busy', partitions: 2 });
    const sessions = oneDay(40, 'busy');
    await run.produce(arkimeMessages(sessions, 'bulk1', run.prefix));

    const indexer = await run.start(throughProxy(proxy));
    const indexed = async () => (await indexer.metric('indexed_documents_total')) === sessions.length;
    const { peak, lowAfterPeak, samples } = await watchLimit(indexer, indexed, 120_000);
    const decreases = await indexer.metric('bulk_concurrency_decreases_total', 'reason="back_pressure"');
    const rejected =
      (await indexer.metric('documents_retried_total', 'reason="es_rejected_execution_exception"')) +
      (await indexer.metric('documents_retried_total', 'reason="rejected_execution_exception"')) +
      (await indexer.metric('documents_retried_total', 'reason="http_429"'));
    console.log(
      `# overloaded: ${sessions.length} sessions, ${rejected} documents rejected and resent, limit peaked at ${peak} then fell to ${lowAfterPeak}, ${decreases} decreases for back-pressure (samples ${samples.join(',')})`,
    );
    assert.ok(rejected > 0, 'the node rejected writes (else this test proves nothing)');
    assert.ok(decreases > 0, 'the limit was lowered for back-pressure');
    assert.ok(lowAfterPeak < peak, `the limit fell after peaking at ${peak}`);
    assert.equal(await indexer.metric('session_index_failure_total'), 0);
    await run.waitAllCommitted(indexer);
    await stopCleanly(indexer);
    await run.assertNoFailureRecords();
    assert.equal(await count(overloaded.url, `${run.prefix}-*`), sessions.length);
  });
});
