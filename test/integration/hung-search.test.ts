// A search node that accepts connections and never answers, made real by the latency proxy in
// hang mode in front of the stack's node: bulks time out after ELASTIC_REQUEST_TIMEOUT (not
// undici's 300 s), are sent again, and once the node answers every session is indexed, none
// dead-lettered.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { arkimeMessages, readSessions } from '../../stack/arkime.js';
import { LatencyProxy } from '../../stack/latency-proxy.js';
import { count } from '../../stack/search-client.js';
import { indexerRun, stopCleanly } from '../helpers/indexer.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';

describe('a search node that never answers', () => {
  let servers: KafkaAndSearch;
  let proxy: LatencyProxy;

  before(async () => {
    servers = await kafkaAnd('opensearch');
    proxy = await LatencyProxy.start(servers.url, { mode: 'hang' });
  });
  after(() => proxy.stop());

  test('bulks time out after ELASTIC_REQUEST_TIMEOUT and are retried until indexed', async (t) => {
    const run = await indexerRun(t, { ...servers, name: 'arkime_hung' });
    // One day's sessions: one index to create, so the time is the timeouts', not index creation's.
    const sessions = readSessions()
      .filter((s) => s.index.endsWith('-250124'))
      .slice(0, 300);
    await run.produce(arkimeMessages(sessions, 'bulk1', run.prefix));

    const started = Date.now();
    const indexer = await run.start({
      // The proxy's address only: discovery would find the node's own.
      ELASTIC_SERVICE: proxy.url,
      ELASTIC_CLIENT_DISCOVER_NODES: 'false',
      ELASTIC_REQUEST_TIMEOUT: '1s',
      // Below the request timeout, as start-up requires: the node's own wait (Go's default).
      ELASTIC_CLIENT_BULK_TIMEOUT: '500ms',
      ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '500ms',
    });
    // Two tries given up on: each one took the timeout, not undici's 300 s.
    await indexer.waitForMetric(
      'bulk_request_duration_seconds_count',
      (n) => n >= 2,
      'outcome="unreachable"',
      20_000,
    );
    const hungFor = (Date.now() - started) / 1000;
    assert.equal(await indexer.metric('indexed_documents_total'), 0);
    const timedOut = await indexer.metric('bulk_request_duration_seconds_sum', 'outcome="unreachable"');
    const tries = await indexer.metric('bulk_request_duration_seconds_count', 'outcome="unreachable"');
    // Each try waited about the timeout: well above zero (it did hang), well below 300 s.
    assert.ok(timedOut / tries >= 0.9 && timedOut / tries < 5, `${timedOut} s over ${tries} tries`);

    proxy.set({ mode: 'forward' });
    const answering = Date.now();
    await indexer.waitForMetric('indexed_documents_total', (n) => n === sessions.length, '', 60_000);
    assert.equal(await indexer.metric('session_index_failure_total'), 0);
    await run.waitAllCommitted(indexer);
    await stopCleanly(indexer);
    await run.assertNoFailureRecords();
    assert.equal(await count(servers.url, `${run.prefix}-*`), sessions.length);
    console.log(
      `# hung node: ${tries} tries timed out (${(timedOut / tries).toFixed(2)} s each, first ${hungFor.toFixed(1)} s in), then ${sessions.length} indexed ${((Date.now() - answering) / 1000).toFixed(1)} s after the node answered, 0 failed`,
    );
  });
});
