import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { arkimeMessages, indexFor, readSessions, type ArkimeFormat } from '../../stack/arkime.js';
import { groupType } from '../../stack/kafka-topics.js';
import { indexerRun, stopCleanly } from '../helpers/indexer.js';
import { required, useStack } from '../helpers/stack.js';

const sessions = readSessions();

/** Canonical JSON (keys sorted) so documents compare whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const cases: { format: ArkimeFormat; server: 'elasticsearch' | 'opensearch'; incremental?: boolean }[] = [
  { format: 'bulk', server: 'elasticsearch' },
  { format: 'bulk1', server: 'elasticsearch' },
  { format: 'doc', server: 'elasticsearch' },
  // The incremental group protocol (KAFKA_CONSUMER_INCREMENTAL_REBALANCE=true) on the way too.
  { format: 'bulk', server: 'opensearch', incremental: true },
];

describe('the indexer moves the whole real corpus from Kafka into the search cluster', () => {
  let bootstrap: string;
  const urls: Record<string, string> = {};

  before(async () => {
    const stack = await useStack('kafka', 'elasticsearch', 'opensearch');
    bootstrap = required(stack.kafka, 'kafka').bootstrap;
    urls['elasticsearch'] = required(stack.elasticsearch, 'elasticsearch').url;
    urls['opensearch'] = required(stack.opensearch, 'opensearch').url;
  });

  for (const { format, server, incremental = false } of cases) {
    test(`kafkaMsgFormat=${format} into ${server}${incremental ? ', incremental rebalancing' : ''}: every session in its index, with its _id, unchanged`, async (t) => {
      const url = urls[server] as string;
      const run = await indexerRun(t, {
        bootstrap,
        url,
        name: `arkime_${format}`,
        partitions: 3,
        failureTopic: false,
      });
      const { prefix } = run;
      const messages = arkimeMessages(sessions, format, prefix);
      await run.produce(messages);

      const indexer = await run.start({
        ELASTIC_INDEXER_INSTANCES: '2',
        BULKER_FLUSH_INTERVAL: '500ms',
        KAFKA_CONSUMER_INCREMENTAL_REBALANCE: String(incremental),
      });
      // The corpus spans 130 days: as many indices to create, which takes long on a busy machine.
      await indexer.waitForMetric('indexed_documents_total', (n) => n >= sessions.length, '', 180_000);
      assert.equal(await indexer.metric('session_index_failure_total'), 0, indexer.output.slice(-3000));
      assert.equal(await groupType(bootstrap, run.group), incremental ? 'consumer' : 'classic');
      // Offsets are committed once documents are acknowledged: every message is accounted for.
      const perPartition = [0, 1, 2].map((p) => BigInt(messages.filter((_, i) => i % 3 === p).length));
      await run.waitAllCommitted(indexer);
      assert.deepEqual(await run.committed(), perPartition);
      await stopCleanly(indexer);

      const stored = await run.documents();
      assert.equal(stored.length, sessions.length);
      const expectedIndex = new Map<string, number>();
      for (const s of sessions)
        expectedIndex.set(indexFor(s, prefix), (expectedIndex.get(indexFor(s, prefix)) ?? 0) + 1);
      const actualIndex = new Map<string, number>();
      for (const d of stored) actualIndex.set(d._index, (actualIndex.get(d._index) ?? 0) + 1);
      assert.deepEqual(actualIndex, expectedIndex);

      if (format === 'doc') {
        // No _id travels in doc format: the cluster assigns them. The routing field is not stored.
        assert.ok(stored.every((d) => !('index' in d._source)));
        assert.deepEqual(
          stored.map((d) => canonical(d._source)).sort(),
          sessions.map((s) => canonical(s.doc)).sort(),
        );
      } else {
        const byId = new Map(stored.map((d) => [d._id, d]));
        for (const session of sessions) {
          const doc = byId.get(session.id);
          assert.ok(doc, `${session.id} indexed`);
          assert.equal(doc._index, indexFor(session, prefix));
          assert.deepEqual(doc._source, session.doc);
        }
      }
    });
  }
});
