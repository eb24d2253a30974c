// The search cluster misbehaving for real: a node of its own with a write pool of one thread and
// a queue of one, so that parallel bulks get genuine per-item 429 rejections, and that is then
// stopped mid-stream and started again.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { arkimeMessages, copiesOf, readSessions } from '../../stack/arkime.js';
import { IndexerProcess } from '../helpers/indexer.js';
import { createTopic, endOffsets, produce } from '../../stack/kafka-topics.js';
import { uniqueName } from '../../stack/names.js';
import { residentBytes } from '../helpers/rss.js';
import { allDocuments, count, installTemplate } from '../../stack/search-client.js';
import { required, useStack } from '../helpers/stack.js';
import { SearchNode } from '../../stack/search-node.js';
import { versionsFromEnv } from '../../stack/versions.js';

describe('an overloaded, then stopped, search node', () => {
  let bootstrap: string;
  let node: SearchNode;

  before(async () => {
    bootstrap = required((await useStack('kafka')).kafka, 'kafka').bootstrap;
    node = await SearchNode.create({
      distribution: 'opensearch',
      version: versionsFromEnv(process.env).opensearch,
      dir: mkdtempSync(join(tmpdir(), 'aki-outage-')),
      nodeName: 'overloaded',
      settings: { 'thread_pool.write.size': '1', 'thread_pool.write.queue_size': '1' },
    });
    await node.start();
  });
  after(() => node.stop());

  async function indexerFor(topic: string, failures: string, extra: Record<string, string> = {}) {
    return IndexerProcess.start({
      KAFKA_CONSUMER_BROKERS: bootstrap,
      KAFKA_CONSUMER_TOPIC: topic,
      KAFKA_CONSUMER_GROUP_NAME: uniqueName('indexer'),
      KAFKA_PRODUCER_BROKERS: bootstrap,
      KAFKA_PRODUCER_TOPIC: failures,
      ELASTIC_SERVICE: node.url,
      ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '1s',
      BULKER_FLUSH_INTERVAL: '200ms',
      ...extra,
    });
  }

  test('real per-item 429 rejections are resent alone until indexed: none on the failure topic', async () => {
    const prefix = uniqueName('arkime_busy').toLowerCase();
    const topic = uniqueName('spi');
    const failures = uniqueName('spi-failed');
    after(await installTemplate(node.url, prefix));
    await createTopic(bootstrap, topic, 4);
    await createTopic(bootstrap, failures);
    const sessions = readSessions();
    await produce(bootstrap, topic, arkimeMessages(sessions, 'bulk1', prefix), 4);

    const indexer = await indexerFor(topic, failures, {
      ELASTIC_INDEXER_INSTANCES: '8',
      BULKER_MAX_MESSAGES: '20',
    });
    try {
      await indexer.waitFor(
        'every session indexed',
        async () => (await indexer.metric('indexed_documents_total')) === sessions.length,
        120_000,
      );
      const retries = await indexer.metric('bulk_index_retry_total');
      assert.ok(retries > 0, 'the node rejected some writes (else this test proves nothing)');
      assert.equal(await indexer.metric('session_index_failure_total'), 0);
      assert.equal(await indexer.metric('msg_produced_success_total'), 0);
      console.log(
        `# overload: ${sessions.length} produced, ${sessions.length} indexed, ${retries} bulk retries, 0 failed`,
      );
    } finally {
      await indexer.stop();
    }
    assert.equal(await indexer.exited, 0, indexer.output.slice(-2000));
    assert.equal(await count(node.url, `${prefix}-*`), sessions.length);
  });

  test('stopped mid-stream longer than the retry interval, then started: every session once, memory flat', async () => {
    const prefix = uniqueName('arkime_outage').toLowerCase();
    const topic = uniqueName('spi');
    const failures = uniqueName('spi-failed');
    after(await installTemplate(node.url, prefix));
    await createTopic(bootstrap, topic, 2);
    await createTopic(bootstrap, failures);
    // All of one day, ten copies with their own ids: 1,770 sessions, about 2.7 MB.
    const day = readSessions().filter((s) => s.index.endsWith('-250124'));
    const sessions = copiesOf(day, 10, 'outage');
    const messages = arkimeMessages(sessions, 'bulk1', prefix);
    // A quarter before the outage, the rest (about 2 MB, twice MAX_BUFFERED_BYTES) during it.
    const half = Math.floor(messages.length / 4);
    await produce(bootstrap, topic, messages.slice(0, half), 2);

    const maxBuffered = 1024 * 1024;
    // Enough requests in flight that MAX_BUFFERED_BYTES, not the indexers, is what stops fetching.
    const indexer = await indexerFor(topic, failures, {
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
    try {
      await indexer.waitFor(
        'the first quarter indexed',
        async () => (await indexer.metric('indexed_documents_total')) === half,
      );
      await node.stop();
      await produce(bootstrap, topic, messages.slice(half), 2);
      // Longer than the longest retry interval (1 s) many times over.
      for (let i = 0; i < 16; i += 1) {
        await sample();
        await sleep(500);
      }
      assert.equal(await indexer.metric('search_cluster_unavailable'), 1, 'the outage is reported');
      assert.equal(await indexer.metric('fetch_paused'), 1, 'fetching paused');
      assert.ok(peakBuffered >= maxBuffered, `the buffer bound was reached (${peakBuffered} bytes)`);
      assert.ok(
        peakBuffered <= maxBuffered + Math.max(...messages.map((m) => m.length)),
        `buffered ${peakBuffered}`,
      );
      await node.start();
      await indexer.waitFor(
        'every session indexed after the restart',
        async () => {
          await sample();
          return (await indexer.metric('indexed_documents_total')) >= sessions.length;
        },
        120_000,
      );
      assert.equal(await indexer.metric('search_cluster_unavailable'), 0);
      assert.equal(await indexer.metric('session_index_failure_total'), 0);
      console.log(
        `# outage: ${sessions.length} produced and indexed, 0 failed, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB, peak buffered ${peakBuffered} bytes`,
      );
    } finally {
      await indexer.stop();
    }
    assert.equal(await indexer.exited, 0, indexer.output.slice(-2000));
    const stored = await allDocuments(node.url, `${prefix}-*`);
    assert.equal(stored.length, sessions.length, 'no session lost, none twice');
    assert.deepEqual(new Set(stored.map((d) => d._id)), new Set(sessions.map((s) => s.id)));
    assert.deepEqual(await endOffsets(bootstrap, failures), [0n], 'nothing on the failure topic');
  });
});
