import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { arkimeMessages, readSessions } from '../../stack/arkime.js';
import { IndexerProcess } from '../helpers/indexer.js';
import { committedOffsets, createTopic, produce } from '../../stack/kafka-topics.js';
import { uniqueName } from '../../stack/names.js';
import { count, installTemplate } from '../../stack/search-client.js';
import { required, useStack } from '../helpers/stack.js';

const flushes = (reason: string): [string, string] => ['bulk_flush_reason_total', `reason="${reason}"`];

describe('the bulker flushes on each of its limits, and on shutdown', () => {
  let bootstrap: string;
  let url: string;
  // All sessions of one day, so that index creation does not dominate the timing.
  const sessions = readSessions()
    .filter((s) => s.index.endsWith('-250124'))
    .slice(0, 20);

  before(async () => {
    const stack = await useStack('kafka', 'opensearch');
    bootstrap = required(stack.kafka, 'kafka').bootstrap;
    url = required(stack.opensearch, 'opensearch').url;
    assert.equal(sessions.length, 20, 'the corpus has 20 sessions of 2025-01-24');
  });

  async function run(settings: Record<string, string>, messages: number) {
    const prefix = uniqueName('arkime_flush').toLowerCase();
    const topic = uniqueName('spi');
    const group = uniqueName('indexer');
    after(await installTemplate(url, prefix));
    await createTopic(bootstrap, topic);
    await produce(bootstrap, topic, arkimeMessages(sessions.slice(0, messages), 'bulk1', prefix));
    const indexer = await IndexerProcess.start({
      KAFKA_CONSUMER_BROKERS: bootstrap,
      KAFKA_CONSUMER_TOPIC: topic,
      KAFKA_CONSUMER_GROUP_NAME: group,
      ELASTIC_SERVICE: url,
      BULKER_FLUSH_INTERVAL: '1h',
      BULKER_MAX_MESSAGES: '1000',
      ...settings,
    });
    return { indexer, prefix, topic, group };
  }

  test('msg_limit: every BULKER_MAX_MESSAGES messages', async () => {
    const { indexer } = await run({ BULKER_MAX_MESSAGES: '5' }, 20);
    try {
      await indexer.waitFor(
        '20 documents indexed',
        async () => (await indexer.metric('indexed_documents_total')) === 20,
      );
      assert.equal(await indexer.metric(...flushes('msg_limit')), 4);
      assert.equal(await indexer.metric(...flushes('bytes_limit')), 0);
      assert.equal(await indexer.metric(...flushes('time_limit')), 0);
    } finally {
      assert.equal(await indexer.stop(), 0);
    }
  });

  test('bytes_limit: before BULKER_MAX_BYTES would be passed, never above it', async () => {
    // The tail below the limit goes out on time.
    const { indexer } = await run(
      {
        BULKER_MAX_BYTES: '4000',
        BULKER_FLUSH_INTERVAL: '1s',
        METRICS_FLUSHED_BYTES_BUCKETS: '4000,1_000_000',
      },
      20,
    );
    try {
      await indexer.waitFor(
        '20 documents indexed',
        async () => (await indexer.metric('indexed_documents_total')) === 20,
      );
      assert.ok((await indexer.metric(...flushes('bytes_limit'))) >= 5);
      assert.equal(await indexer.metric(...flushes('msg_limit')), 0);
      // Every bulk fits the limit, but for a message larger than it, which travels alone.
      const oversized = arkimeMessages(sessions, 'bulk1', 'x').filter((m) => m.length > 4000).length;
      const all = await indexer.metric('bulk_flushed_msgs_bytes_bucket', 'le="+Inf"');
      const within = await indexer.metric('bulk_flushed_msgs_bytes_bucket', 'le="4000"');
      assert.equal(all - within, oversized);
    } finally {
      assert.equal(await indexer.stop(), 0);
    }
  });

  test('time_limit: a quiet topic is flushed after BULKER_FLUSH_INTERVAL', async () => {
    const { indexer } = await run({ BULKER_FLUSH_INTERVAL: '300ms' }, 3);
    try {
      await indexer.waitFor(
        '3 documents indexed',
        async () => (await indexer.metric('indexed_documents_total')) === 3,
      );
      assert.ok((await indexer.metric(...flushes('time_limit'))) >= 1);
      assert.equal(await indexer.metric(...flushes('msg_limit')), 0);
    } finally {
      assert.equal(await indexer.stop(), 0);
    }
  });

  test('shutdown: SIGTERM mid-stream flushes what is pending, commits it and exits 0', async () => {
    const { indexer, prefix, topic, group } = await run({}, 12);
    await indexer.waitFor(
      '12 messages consumed',
      async () => (await indexer.metric('msgs_consumed_total')) === 12,
    );
    assert.equal(await indexer.metric('indexed_documents_total'), 0, 'nothing sent before the stop');
    assert.equal(await indexer.stop('SIGTERM'), 0, indexer.output.slice(-3000));
    assert.ok(
      indexer.lines.some((l) => l['msg'] === 'flushing' && l['reason'] === 'shutdown'),
      'a shutdown flush was logged',
    );
    assert.equal(await count(url, `${prefix}-*`), 12);
    assert.deepEqual(await committedOffsets(bootstrap, group, topic, 1), [12n]);
  });
});
