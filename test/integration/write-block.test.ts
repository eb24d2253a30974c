// A write block, as the disk flood-stage watermark sets it (index.blocks.read_only_allow_delete),
// is the cluster's state, not the documents' fault: the indexer waits, says so, and resumes.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { arkimeMessages, readSessions } from '../../stack/arkime.js';
import { call, count } from '../../stack/search-client.js';
import { indexerRun, stopCleanly } from '../helpers/indexer.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';

for (const server of ['elasticsearch', 'opensearch'] as const) {
  describe(`a write-blocked index (${server})`, () => {
    let servers: KafkaAndSearch;
    before(async () => (servers = await kafkaAnd(server)));

    test('is waited out, reported, and indexed into once the block lifts; nothing on the failure topic', async (t) => {
      const run = await indexerRun(t, { ...servers, name: 'arkime_block' });
      const sessions = readSessions().filter((s) => s.index.endsWith('-231114'));
      const index = `${run.prefix}-231114`;
      const blocked = (value: true | null) =>
        call('PUT', `${run.url}/${index}/_settings`, { 'index.blocks.read_only_allow_delete': value });
      await call('PUT', `${run.url}/${index}`);
      await blocked(true);
      await run.produce(arkimeMessages(sessions, 'bulk', run.prefix));

      const indexer = await run.start({
        ELASTIC_CLIENT_MAX_RETRIES: '3',
        ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '500ms',
      });
      await indexer.waitForMetric('search_cluster_unavailable', (n) => n === 1);
      // The cluster's own reason for each refused document, as the indexer counted it.
      const retried = 'documents_retried_total';
      assert.ok((await indexer.metric(retried, 'reason="cluster_block_exception"')) >= sessions.length);
      // Still refused, tried again and again: nothing indexed, nothing given up.
      const retries = await indexer.metric('bulk_index_retry_total');
      await indexer.waitForMetric('bulk_index_retry_total', (n) => n >= retries + 3);
      assert.equal(await count(run.url, index), 0);
      assert.equal(await indexer.metric('session_index_failure_total'), 0);
      assert.equal(
        await indexer.metric(retried),
        await indexer.metric(retried, 'reason="cluster_block_exception"'),
      );

      await blocked(null);
      await indexer.waitForMetric('indexed_documents_total', (n) => n === sessions.length);
      assert.equal(await indexer.metric('search_cluster_unavailable'), 0);
      await stopCleanly(indexer);
      assert.equal(await count(run.url, index), sessions.length);
      await run.assertNoFailureRecords();
    });
  });
}
