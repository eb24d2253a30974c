// A 16 MiB message among ordinary ones, on the stack's single broker: the topic (and
// the failure topic, so that either outcome can be written) accept 20 MiB records; the broker's
// own limit is 10 MiB (stack/kafka-broker.ts), which a topic's max.message.bytes overrides.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { bulkLines, readSessions, type ArkimeSession } from '../../stack/arkime.js';
import { produceRecords, setTopicConfig } from '../../stack/kafka-topics.js';
import { indexerRun, stopCleanly } from '../helpers/indexer.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';
import { account, bulk1, conclude, renamed, waitAccounted, type Destinations } from './harness.js';

const mib = 1024 * 1024;

/** A real session grown to `bytes` in bulk1 format by tags, as a session with a huge tag list would be. */
function grown(session: ArkimeSession, index: string, bytes: number): Buffer {
  const tag = (i: number): string =>
    `conformance-large-message-tag-${String(i).padStart(8, '0')}-${'x'.repeat(60)}`;
  const count = Math.ceil(bytes / (tag(0).length + 3));
  const tags = Array.from({ length: count }, (_, i) => tag(i));
  const big = { ...session, doc: { ...session.doc, tags, tagsCnt: tags.length } };
  return Buffer.from(bulkLines(big, index));
}

describe('conformance: message size', () => {
  let servers: KafkaAndSearch;
  before(async () => (servers = await kafkaAnd('opensearch')));

  test(
    'h: a 16 MiB message among ordinary ones: they are indexed, it is indexed or on the failure topic with its reason',
    { timeout: 150_000 },
    async (t) => {
      const run = await indexerRun(t, { ...servers, name: 'conf_large' });
      const to: Destinations = { ...servers, pattern: `${run.prefix}-*`, failures: run.failures };
      for (const topic of [run.topic, run.failures])
        await setTopicConfig(run.bootstrap, topic, { 'max.message.bytes': String(20 * mib) });
      const corpus = readSessions();
      const [before, after] = [corpus.slice(0, 200), corpus.slice(200, 400)];
      const large = renamed(corpus.slice(400, 401), 'large');
      const big = grown(large[0] as ArkimeSession, `${run.prefix}-conformance`, 16 * mib);
      assert.ok(big.length >= 16 * mib && big.length < 17 * mib, `${big.length} bytes`);
      const records = [...bulk1(before, run.prefix), big, ...bulk1(after, run.prefix)].map((value) => ({
        partition: 0,
        value,
      }));
      // One send each: the large one alone in its request.
      await produceRecords(run.bootstrap, run.topic, records.slice(0, 200));
      await produceRecords(run.bootstrap, run.topic, records.slice(200, 201));
      await produceRecords(run.bootstrap, run.topic, records.slice(201));

      const indexer = await run.start({ LOG_LEVEL: 'info' });
      const produced = [...before, ...large, ...after].map((s) => s.id);
      await waitAccounted(indexer, to, produced.length, 90_000);
      await run.waitAllCommitted(indexer, 30_000).catch(() => undefined);
      const running = indexer.running;
      await stopCleanly(indexer);
      const where = await account(to, [large[0]?.id ?? '']);
      const failed = where.onFailureTopic === 1 ? await run.failureRecords(1) : [];
      console.log(
        `[conformance] 16 MiB message: ${big.length} bytes, ${where.missing.length === 0 ? (failed.length === 1 ? `on the failure topic (${failed[0]?.headers.get('aki.error.type') ?? '?'})` : 'indexed') : 'missing'}`,
      );
      await conclude('16 MiB message', to, run.group, produced);
      assert.ok(running, 'the indexer kept running');
      if (failed.length === 1)
        assert.ok((failed[0]?.headers.get('aki.error.reason') ?? '') !== '', 'a reason');
    },
  );
});
