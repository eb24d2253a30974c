import assert from 'node:assert/strict';
import { before, describe, test, type TestContext } from 'node:test';
import { arkimeMessages, readSessions } from '../../stack/arkime.js';
import { count } from '../../stack/search-client.js';
import { indexerRun, stopCleanly } from '../helpers/indexer.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';

const flushes = (reason: string): [string, string] => ['bulk_flush_reason_total', `reason="${reason}"`];

describe('the bulker flushes on each of its limits, and on shutdown', () => {
  let servers: KafkaAndSearch;
  // All sessions of one day, so that index creation does not dominate the timing.
  const sessions = readSessions()
    .filter((s) => s.index.endsWith('-250124'))
    .slice(0, 20);

  before(async () => {
    servers = await kafkaAnd('opensearch');
    assert.equal(sessions.length, 20, 'the corpus has 20 sessions of 2025-01-24');
  });

  /** `messages` sessions produced, and the indexer started with no limit but `settings` to flush on. */
  async function start(t: TestContext, settings: Record<string, string>, messages: number) {
    const run = await indexerRun(t, { ...servers, name: 'arkime_flush', failureTopic: false });
    await run.produce(arkimeMessages(sessions.slice(0, messages), 'bulk1', run.prefix));
    const indexer = await run.start({
      BULKER_FLUSH_INTERVAL: '1h',
      BULKER_MAX_MESSAGES: '1000',
      ...settings,
    });
    return { indexer, run };
  }

  const indexed = (n: number) => (value: number) => value === n;

  test('msg_limit: every BULKER_MAX_MESSAGES messages', async (t) => {
    const { indexer } = await start(t, { BULKER_MAX_MESSAGES: '5' }, 20);
    await indexer.waitForMetric('indexed_documents_total', indexed(20));
    assert.equal(await indexer.metric(...flushes('msg_limit')), 4);
    assert.equal(await indexer.metric(...flushes('bytes_limit')), 0);
    assert.equal(await indexer.metric(...flushes('time_limit')), 0);
    await stopCleanly(indexer);
  });

  test('bytes_limit: before BULKER_MAX_BYTES would be passed, never above it', async (t) => {
    // The tail below the limit goes out on time.
    const { indexer } = await start(
      t,
      {
        BULKER_MAX_BYTES: '4000',
        BULKER_FLUSH_INTERVAL: '1s',
        METRICS_FLUSHED_BYTES_BUCKETS: '4000,1_000_000',
      },
      20,
    );
    await indexer.waitForMetric('indexed_documents_total', indexed(20));
    assert.ok((await indexer.metric(...flushes('bytes_limit'))) >= 5);
    assert.equal(await indexer.metric(...flushes('msg_limit')), 0);
    // Every bulk fits the limit, but for a message larger than it, which travels alone.
    const oversized = arkimeMessages(sessions, 'bulk1', 'x').filter((m) => m.length > 4000).length;
    const all = await indexer.metric('bulk_flushed_msgs_bytes_bucket', 'le="+Inf"');
    const within = await indexer.metric('bulk_flushed_msgs_bytes_bucket', 'le="4000"');
    assert.equal(all - within, oversized);
    await stopCleanly(indexer);
  });

  test('time_limit: a quiet topic is flushed after BULKER_FLUSH_INTERVAL', async (t) => {
    const { indexer } = await start(t, { BULKER_FLUSH_INTERVAL: '300ms' }, 3);
    await indexer.waitForMetric('indexed_documents_total', indexed(3));
    assert.ok((await indexer.metric(...flushes('time_limit'))) >= 1);
    assert.equal(await indexer.metric(...flushes('msg_limit')), 0);
    await stopCleanly(indexer);
  });

  test('shutdown: SIGTERM mid-stream flushes what is pending, commits it and exits 0', async (t) => {
    const { indexer, run } = await start(t, {}, 12);
    await indexer.waitForMetric('msgs_consumed_total', (n) => n === 12);
    assert.equal(await indexer.metric('indexed_documents_total'), 0, 'nothing sent before the stop');
    await stopCleanly(indexer);
    // No limit could be reached (1,000 messages, 1 h): what is stored and committed now was
    // flushed by the shutdown.
    assert.equal(await count(run.url, `${run.prefix}-*`), 12);
    assert.deepEqual(await run.committed(), [12n]);
  });
});
