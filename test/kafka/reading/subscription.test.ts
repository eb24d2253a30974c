// The topics a named list reads as the brokers' metadata changes: a missing topic is a warning and
// left out, one that comes back is read again, partitions added make the group rebalance.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTopicSelection } from '../../../src/config/topics.js';
import { TopicSubscription } from '../../../src/kafka/reading/subscription.js';
import type { ClusterView } from '../../../src/kafka/reading/topic-metadata.js';
import { testLog, testMetrics, valueOf } from '../../pipeline/fakes.js';

function cluster(topics: Record<string, number>, missing: string[]): ClusterView {
  return {
    brokers: new Map(),
    topics: new Map(
      Object.entries(topics).map(([name, count]) => [
        name,
        {
          id: `id-${name}`,
          partitions: Array.from({ length: count }, () => ({ leader: 1, leaderEpoch: 0 })),
        },
      ]),
    ),
    missing,
  };
}

describe('TopicSubscription of named topics', () => {
  test('reads those that exist, warns once of one missing, reads it again when it is back, and asks for a rebalance on new partitions', async (t) => {
    let now = cluster({ a: 2 }, ['b']);
    const asked: string[][] = [];
    const changes: string[][] = [];
    const repartitioned: [string, number, number][] = [];
    const { logger, lines } = testLog();
    const metrics = testMetrics();
    const subscription = new TopicSubscription(
      {
        kafkaConsumerTopic: parseTopicSelection('a,b'),
        kafkaMetadataRefresh: 60_000,
        kafkaProducerTopic: '',
        kafkaConsumerBrokers: ['127.0.0.1:1'],
      } as ConstructorParameters<typeof TopicSubscription>[0],
      logger,
      metrics,
      (topics) => {
        asked.push([...topics]);
        return Promise.resolve(now);
      },
      {
        changed: (topics) => changes.push(topics),
        repartitioned: (topic, before, after) => repartitioned.push([topic, before, after]),
      },
    );
    t.after(() => subscription.stop());
    assert.deepEqual(await subscription.topics(), ['a']);
    assert.deepEqual(asked, [['a', 'b']], 'one request for both');
    const warned = () =>
      lines.filter((l) => l.msg === 'a topic of KAFKA_CONSUMER_TOPIC does not exist: reading the others');
    assert.equal(warned().length, 1);
    assert.equal(await valueOf(metrics.topicsMissing), 1);
    await subscription.refresh();
    assert.equal(warned().length, 1, 'once, not at every look');
    assert.deepEqual(changes, []);

    now = cluster({ a: 4, b: 1 }, []);
    await subscription.refresh();
    assert.deepEqual(changes, [['a', 'b']]);
    assert.deepEqual(repartitioned, [['a', 2, 4]]);
    assert.equal(await valueOf(metrics.topicsMissing), 0);
    assert.ok(lines.some((l) => l.msg === 'a topic of KAFKA_CONSUMER_TOPIC exists again: reading it'));
    assert.ok(lines.some((l) => l.msg === 'partitions added: rejoining the group'));

    now = cluster({ b: 1 }, ['a']);
    await subscription.refresh();
    assert.deepEqual(changes.at(-1), ['b'], 'a deleted: b goes on alone');
  });

  test('a failed look changes nothing and is logged once a streak', async (t) => {
    const { logger, lines } = testLog();
    let fail = false;
    const changes: string[][] = [];
    const subscription = new TopicSubscription(
      {
        kafkaConsumerTopic: parseTopicSelection('a'),
        kafkaMetadataRefresh: 60_000,
        kafkaProducerTopic: '',
        kafkaConsumerBrokers: ['127.0.0.1:1'],
      } as ConstructorParameters<typeof TopicSubscription>[0],
      logger,
      testMetrics(),
      () => (fail ? Promise.reject(new Error('no broker')) : Promise.resolve(cluster({ a: 1 }, []))),
      { changed: (topics) => changes.push(topics), repartitioned: () => undefined },
    );
    t.after(() => subscription.stop());
    await subscription.topics();
    fail = true;
    await subscription.refresh();
    await subscription.refresh();
    assert.equal(
      lines.filter((l) => l.msg === 'reading the topics metadata failed; will try again').length,
      1,
    );
    assert.deepEqual(changes, []);
  });
});
