// What a topic's log can hold besides plain records, on the stack's single broker:
// the gaps compaction leaves, and transactions, committed and aborted, with their markers. Each
// case accounts for every produced `_id` and reads the group's commits (harness.ts).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import { readSessions, type ArkimeSession } from '../../stack/arkime.js';
import { endOffsets, produceRecords, setTopicConfig } from '../../stack/kafka-topics.js';
import { uniqueName } from '../../stack/names.js';
import { readPartition } from '../../stack/partition-reader.js';
import { indexerRun, stopCleanly } from '../helpers/indexer.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';
import { bulk1, conclude, pollUntil, renamed, waitAccounted, type Destinations } from './harness.js';

const ids = (sessions: ArkimeSession[]): string[] => sessions.map((s) => s.id);

describe('conformance: what a log holds', () => {
  let servers: KafkaAndSearch;
  const corpus = readSessions();
  before(async () => (servers = await kafkaAnd('opensearch')));

  test(
    'd: a compacted topic read by a new group: the latest value of every key indexed',
    { timeout: 150_000 },
    async (t) => {
      const run = await indexerRun(t, { ...servers, name: 'conf_compacted' });
      const to: Destinations = { ...servers, pattern: `${run.prefix}-*`, failures: run.failures };
      // Segments roll after 500 ms, and the cleaner takes any dirty segment: the broker's cleaner
      // (every 15 s by default) compacts within one of its rounds.
      await setTopicConfig(run.bootstrap, run.topic, {
        'cleanup.policy': 'compact',
        'segment.ms': '500',
        'min.cleanable.dirty.ratio': '0.001',
        'min.compaction.lag.ms': '0',
        'delete.retention.ms': '1000',
      });
      // Each session's key is its `_id`: first a superseded value, then the real one; a last record
      // closes the segment of the real ones, since the active segment is never compacted.
      const superseded = corpus.map((s) => ({ ...s, doc: { ...s.doc, node: 'superseded' } }));
      const closing = renamed(corpus.slice(0, 1), 'closing');
      const keyed = (sessions: ArkimeSession[]): { partition: number; key: Buffer; value: Buffer }[] =>
        bulk1(sessions, run.prefix).map((value, i) => ({
          partition: 0,
          key: Buffer.from(sessions[i]?.id ?? ''),
          value,
        }));
      await produceRecords(run.bootstrap, run.topic, keyed(superseded));
      await sleep(1_100);
      await produceRecords(run.bootstrap, run.topic, keyed(corpus));
      await sleep(1_100);
      await produceRecords(run.bootstrap, run.topic, keyed(closing));
      const produced = [...ids(corpus), ...ids(closing)];
      const started = Date.now();
      await pollUntil(
        'the broker compacting the topic: one record a key left',
        async () => (await readPartition(run.bootstrap, run.topic, 0)).length === produced.length,
        90_000,
      );
      const kept = await readPartition(run.bootstrap, run.topic, 0);
      assert.ok((kept[0]?.offset ?? 0n) >= BigInt(corpus.length), 'the superseded values are gone');
      console.log(
        `[conformance] compaction: the broker compacted in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );

      const indexer = await run.start({ LOG_LEVEL: 'info' });
      await waitAccounted(indexer, to, produced.length, 60_000);
      await run.waitAllCommitted(indexer, 30_000).catch(() => undefined);
      await stopCleanly(indexer);
      const documents = await run.documents();
      const { accounting } = await conclude('compacted topic, new group', to, run.group, produced);
      assert.equal(accounting.rewritten, 0, 'each key indexed once');
      const stale = documents.filter((d) => d._source['node'] === 'superseded').map((d) => d._id);
      assert.deepEqual(stale, [], 'the latest value of every key wins');
    },
  );

  test(
    'e: transactions: committed ones indexed, an aborted one not, the commit reaches the end offset (lag 0)',
    { timeout: 120_000 },
    async (t) => {
      const partitions = 2;
      const run = await indexerRun(t, { ...servers, name: 'conf_transactions', partitions });
      const to: Destinations = { ...servers, pattern: `${run.prefix}-*`, failures: run.failures };
      const [first, aborted, last] = [
        corpus.slice(0, 300),
        renamed(corpus.slice(300, 500), 'aborted'),
        corpus.slice(500),
      ];
      const indexer = await run.start({ LOG_LEVEL: 'info' });
      const producer = new Producer({
        clientId: 'test-transactions',
        bootstrapBrokers: [run.bootstrap],
        idempotent: true,
        acks: -1,
        transactionalId: uniqueName('conformance-tx'),
      });
      t.after(() => producer.close());
      const inTransaction = async (sessions: ArkimeSession[], commit: boolean): Promise<void> => {
        const transaction = await producer.beginTransaction();
        await transaction.send({
          messages: bulk1(sessions, run.prefix).map((value, i) => ({
            topic: run.topic,
            partition: i % partitions,
            value,
          })),
        });
        await (commit ? transaction.commit() : transaction.abort());
      };
      await inTransaction(first, true);
      await inTransaction(aborted, false);
      await inTransaction(last, true);
      const produced = [...ids(first), ...ids(last)];
      await waitAccounted(indexer, to, produced.length, 60_000);

      // Every partition ends with a commit marker: the group's position must pass it.
      const ends = await endOffsets(run.bootstrap, run.topic);
      const reachedEnd = await run.waitAllCommitted(indexer, 20_000).then(
        () => true,
        () => false,
      );
      const committed = await run.committed();
      const lag = await indexer.metric('consumer_lag_messages', `topic="${run.topic}"`);
      await stopCleanly(indexer);
      // The aborted sessions are not in the produced set: found, they count as unexpected.
      await conclude('transactions, one aborted', to, run.group, produced);
      assert.ok(reachedEnd, `committed ${committed.join(', ')}, end offsets ${ends.join(', ')}`);
      assert.equal(lag, 0, 'lag 0 after the commit marker');
    },
  );
});
