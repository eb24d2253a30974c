// Topic changes an operator makes while the indexer runs, on the stack's single broker
// with the real corpus in bulk1 format, one session a message: a topic deleted and created again,
// partitions added, one topic of a list deleted. Each ends by accounting for every produced `_id`
// and reading the group's commits in `__consumer_offsets` (harness.ts).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { readSessions, type ArkimeSession } from '../../stack/arkime.js';
import { createPartitions, createTopic, deleteTopic, produce, topicId } from '../../stack/kafka-topics.js';
import { uniqueName } from '../../stack/names.js';
import { indexerRun, stopCleanly, type IndexerProcess } from '../helpers/indexer.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';
import {
  bulk1,
  conclude,
  linesSaying,
  pollUntil,
  renamed,
  waitAccounted,
  type Destinations,
} from './harness.js';

const ids = (sessions: ArkimeSession[]): string[] => sessions.map((s) => s.id);

/** The lag series the indexer reports for `topic`: partition → messages. */
async function lagByPartition(indexer: IndexerProcess, topic: string): Promise<Map<number, number>> {
  const prefix = `arkime_kafkaindexer_consumer_lag_messages{topic="${topic}",partition="`;
  const lines = (await indexer.metrics()).split('\n').filter((l) => l.startsWith(prefix));
  return new Map(
    lines.map((l) => [Number(l.slice(prefix.length).split('"')[0]), Number(l.split(' ').at(-1))]),
  );
}

/** Deletes `topic` and waits until the broker no longer knows it (KRaft deletes within a second or two). */
async function deleted(bootstrap: string, topic: string): Promise<void> {
  await deleteTopic(bootstrap, topic);
  await pollUntil(`topic ${topic} gone`, async () => (await topicId(bootstrap, topic)) === undefined);
}

describe('conformance: topic changes on one broker', () => {
  let servers: KafkaAndSearch;
  const corpus = readSessions();
  before(async () => (servers = await kafkaAnd('opensearch')));

  test(
    'a: a topic deleted and created again while the indexer runs: both lives indexed, the recreation logged and counted',
    { timeout: 180_000 },
    async (t) => {
      const partitions = 2;
      const run = await indexerRun(t, { ...servers, name: 'conf_recreated', partitions });
      const to: Destinations = { ...servers, pattern: `${run.prefix}-*`, failures: run.failures };
      const second = renamed(corpus, 'life2');
      await run.produce(bulk1(corpus, run.prefix));
      const indexer = await run.start({ KAFKA_METADATA_REFRESH: '2s', LOG_LEVEL: 'info' });
      await run.waitAllCommitted(indexer, 60_000);

      const firstId = await topicId(run.bootstrap, run.topic);
      await deleted(run.bootstrap, run.topic);
      await createTopic(run.bootstrap, run.topic, partitions);
      const secondId = await topicId(run.bootstrap, run.topic);
      assert.notEqual(secondId, firstId, 'the broker gave the new topic a new id');
      await run.produce(bulk1(second, run.prefix));
      const produced = [...ids(corpus), ...ids(second)];
      // Where the second life is lost, waiting for the last commits would only add time.
      if (await waitAccounted(indexer, to, produced.length, 60_000))
        await run.waitAllCommitted(indexer, 30_000);

      const recreated = linesSaying(
        indexer,
        'topic recreated (a new topic id): reading it again from KAFKA_CONSUMER_OFFSET_RESET',
      );
      const counted = await indexer.metric('topic_recreations_total', `topic="${run.topic}"`);
      await stopCleanly(indexer);
      await conclude('a topic deleted and created again', to, run.group, produced);
      assert.equal(recreated.length, 1, indexer.output.slice(-3000));
      assert.deepEqual(
        [recreated[0]?.['topic'], recreated[0]?.['previousTopicId'], recreated[0]?.['topicId']],
        [run.topic, firstId, secondId],
      );
      assert.equal(recreated[0]?.['offsetReset'], 'earliest');
      assert.equal(counted, 1, 'arkime_kafkaindexer_topic_recreations_total');
    },
  );

  test(
    'b: partitions added 2 → 4 while the indexer runs: sessions on all four indexed, lag reported for the new ones',
    { timeout: 150_000 },
    async (t) => {
      const run = await indexerRun(t, { ...servers, name: 'conf_partitions', partitions: 2 });
      const to: Destinations = { ...servers, pattern: `${run.prefix}-*`, failures: run.failures };
      const second = renamed(corpus, 'after');
      await run.produce(bulk1(corpus, run.prefix));
      const indexer = await run.start({ KAFKA_METADATA_REFRESH: '2s', LOG_LEVEL: 'info' });
      await run.waitAllCommitted(indexer, 60_000);

      await createPartitions(run.bootstrap, run.topic, 4);
      const added = Date.now();
      await produce(run.bootstrap, run.topic, bulk1(second, run.prefix), 4);
      const produced = [...ids(corpus), ...ids(second)];
      const all = await waitAccounted(indexer, to, produced.length, 60_000);
      const seconds = ((Date.now() - added) / 1000).toFixed(1);
      // Lag 0 on the new partitions once their commits are in: reported, and caught up.
      const lagged = await indexer
        .waitFor(
          'lag 0 reported for partitions 2 and 3',
          async () => {
            const lag = await lagByPartition(indexer, run.topic);
            return lag.get(2) === 0 && lag.get(3) === 0;
          },
          20_000,
        )
        .then(
          () => true,
          () => false,
        );
      const lag = await lagByPartition(indexer, run.topic);
      const rejoined = linesSaying(indexer, 'partitions added: rejoining the group');
      await stopCleanly(indexer);
      console.log(
        `[conformance] partitions added: all indexed ${all}, in ${seconds} s after the partitions were added`,
      );
      await conclude('partitions added 2 → 4', to, run.group, produced);
      assert.ok(lagged, `lag of partitions 2 and 3: ${JSON.stringify([...lag])}`);
      assert.equal(rejoined.length, 1, indexer.output.slice(-3000));
      assert.deepEqual(
        [rejoined[0]?.['topic'], rejoined[0]?.['before'], rejoined[0]?.['after']],
        [run.topic, 2, 4],
      );
    },
  );

  test(
    'c: KAFKA_CONSUMER_TOPIC=a,b and b deleted: a goes on, b reported missing',
    { timeout: 120_000 },
    async (t) => {
      const run = await indexerRun(t, { ...servers, name: 'conf_listed', partitions: 2 });
      const to: Destinations = { ...servers, pattern: `${run.prefix}-*`, failures: run.failures };
      const other = uniqueName('spi-b');
      await createTopic(run.bootstrap, other, 2);
      const [ofA, ofB] = [corpus.slice(0, 351), corpus.slice(351)];
      const later = renamed(corpus, 'a-later');
      await run.produce(bulk1(ofA, run.prefix));
      await produce(run.bootstrap, other, bulk1(ofB, run.prefix), 2);
      const indexer = await run.start({
        KAFKA_CONSUMER_TOPIC: `${run.topic},${other}`,
        KAFKA_METADATA_REFRESH: '2s',
        LOG_LEVEL: 'info',
      });
      await waitAccounted(indexer, to, corpus.length, 60_000);

      await deleted(run.bootstrap, other);
      const gone = Date.now();
      await run.produce(bulk1(later, run.prefix));
      const produced = [...ids(corpus), ...ids(later)];
      const all = await waitAccounted(indexer, to, produced.length, 60_000);
      const seconds = ((Date.now() - gone) / 1000).toFixed(1);
      const missing = linesSaying(
        indexer,
        'a topic of KAFKA_CONSUMER_TOPIC does not exist: reading the others',
      );
      const gauge = await indexer.metric('topics_missing');
      await stopCleanly(indexer);
      console.log(
        `[conformance] one listed topic deleted: the other's ${later.length} indexed ${all}, in ${seconds} s`,
      );
      await conclude('KAFKA_CONSUMER_TOPIC=a,b, b deleted', to, run.group, produced);
      assert.ok(missing.length >= 1, indexer.output.slice(-3000));
      assert.equal(missing[0]?.['topic'], other);
      assert.equal(gauge, 1, 'arkime_kafkaindexer_topics_missing');
    },
  );
});
