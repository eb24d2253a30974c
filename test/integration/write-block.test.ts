// A write block, as the disk flood-stage watermark sets it (index.blocks.read_only_allow_delete),
// is the cluster's state, not the documents' fault: the indexer waits, says so, and resumes.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { arkimeMessages, readSessions } from '../../stack/arkime.js';
import { IndexerProcess } from '../helpers/indexer.js';
import { createTopic, endOffsets, produce } from '../../stack/kafka-topics.js';
import { uniqueName } from '../../stack/names.js';
import { call, count, installTemplate } from '../../stack/search-client.js';
import { required, useStack } from '../helpers/stack.js';

for (const server of ['elasticsearch', 'opensearch'] as const) {
  describe(`a write-blocked index (${server})`, () => {
    let bootstrap: string;
    let url: string;

    before(async () => {
      const stack = await useStack('kafka', server);
      bootstrap = required(stack.kafka, 'kafka').bootstrap;
      url = required(stack[server], server).url;
    });

    test('is waited out, reported, and indexed into once the block lifts; nothing on the failure topic', async () => {
      const prefix = uniqueName('arkime_block').toLowerCase();
      const [topic, failures] = [uniqueName('spi'), uniqueName('spi-failed')];
      after(await installTemplate(url, prefix));
      await createTopic(bootstrap, topic);
      await createTopic(bootstrap, failures);
      const sessions = readSessions().filter((s) => s.index.endsWith('-231114'));
      const index = `${prefix}-231114`;
      await call('PUT', `${url}/${index}`);
      await call('PUT', `${url}/${index}/_settings`, { 'index.blocks.read_only_allow_delete': true });
      await produce(bootstrap, topic, arkimeMessages(sessions, 'bulk', prefix));

      const indexer = await IndexerProcess.start({
        KAFKA_CONSUMER_BROKERS: bootstrap,
        KAFKA_CONSUMER_TOPIC: topic,
        KAFKA_CONSUMER_GROUP_NAME: uniqueName('indexer'),
        KAFKA_PRODUCER_BROKERS: bootstrap,
        KAFKA_PRODUCER_TOPIC: failures,
        ELASTIC_SERVICE: url,
        ELASTIC_CLIENT_MAX_RETRIES: '3',
        ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '500ms',
        BULKER_FLUSH_INTERVAL: '200ms',
      });
      try {
        await indexer.waitFor(
          'the block reported',
          async () => (await indexer.metric('search_cluster_unavailable')) === 1,
        );
        assert.ok(
          indexer.lines.some(
            (l) =>
              l['msg'] === 'search cluster unavailable' ||
              String(l['error']).includes('cluster_block_exception'),
          ),
          'the log names the block',
        );
        await sleep(2000);
        assert.equal(await count(url, index), 0);
        assert.equal(await indexer.metric('session_index_failure_total'), 0);
        await call('PUT', `${url}/${index}/_settings`, { 'index.blocks.read_only_allow_delete': null });
        await indexer.waitFor(
          'every session indexed after the block lifted',
          async () => (await indexer.metric('indexed_documents_total')) === sessions.length,
        );
        assert.equal(await indexer.metric('search_cluster_unavailable'), 0);
      } finally {
        await indexer.stop();
      }
      assert.equal(await indexer.exited, 0, indexer.output.slice(-2000));
      assert.equal(await count(url, index), sessions.length);
      assert.deepEqual(await endOffsets(bootstrap, failures), [0n]);
    });
  });
}
