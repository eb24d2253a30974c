import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { Admin, ProduceAcks, Producer } from '@platformatic/kafka';
import { loadConfig } from '../../src/config/load.js';
import { KafkaConsumer } from '../../src/kafka/reading/consumer.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import type { ConsumedMessage } from '../../src/records.js';
import { bulkLines, readSessions } from '../../stack/arkime.js';
import { uniqueName } from '../../stack/names.js';
import { capturedLogger } from '../helpers/log-lines.js';
import { required, useStack } from '../helpers/stack.js';

// The indexer's own fetch loop (src/kafka/reading/fetcher.ts) against what real producers write into a
// real broker: batches of every compression, transactions committed and aborted.
describe("the indexer's Kafka fetch loop", () => {
  let bootstrap: string;

  before(async () => {
    bootstrap = required((await useStack('kafka')).kafka, 'kafka').bootstrap;
  });

  /** A new topic of two partitions. */
  async function twoPartitions(t: TestContext, name: string): Promise<string> {
    const topic = uniqueName(name);
    const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: [bootstrap] });
    t.after(() => admin.close());
    await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
    return topic;
  }

  /** What the indexer's consumer reads of `topic` from the start: `count` messages, or what came in 30 s. */
  async function readWithIndexerConsumer(
    t: TestContext,
    topic: string,
    count: number,
  ): Promise<ConsumedMessage[]> {
    const loaded = loadConfig({
      KAFKA_CONSUMER_BROKERS: bootstrap,
      KAFKA_CONSUMER_TOPIC: topic,
      KAFKA_CONSUMER_GROUP_NAME: uniqueName('group'),
      KAFKA_CONSUMER_OFFSET_RESET: 'earliest',
      ELASTIC_SERVICE: 'http://127.0.0.1:9',
    });
    assert.ok(loaded.ok);
    const consumer = new KafkaConsumer(loaded.config, capturedLogger().logger, createMetrics(loaded.config));
    t.after(() => consumer.close());
    const received: ConsumedMessage[] = [];
    const deadline = AbortSignal.timeout(30_000);
    for await (const chunk of await consumer.start()) {
      received.push(...chunk.messages);
      if (received.length >= count || deadline.aborted) break;
    }
    return received;
  }

  test('a partition with a backlog does not starve the others: they are asked first in the next fetch', async (t) => {
    const topic = await twoPartitions(t, 'fetcher-fair');
    const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers: [bootstrap] });
    after(() => producer.close());
    // Partition 0: 8 MiB, four fetches' worth; partition 1: one message.
    const big = Buffer.alloc(512 * 1024, 'a');
    for (let i = 0; i < 4; i += 1) {
      await producer.send({
        acks: ProduceAcks.ALL,
        messages: Array.from({ length: 4 }, () => ({ topic, partition: 0, value: big })),
      });
    }
    await producer.send({
      acks: ProduceAcks.ALL,
      messages: [{ topic, partition: 1, value: Buffer.from('small') }],
    });

    const order = (await readWithIndexerConsumer(t, topic, 17)).map((m) => m.partition);
    assert.equal(order.length, 17);
    const small = order.indexOf(1);
    assert.ok(small >= 0 && small < 12, `partition 1 came after ${small} of partition 0's 16 messages`);
  });

  test('reads every compression byte for byte, in offset order, and no aborted transaction', async (t) => {
    const topic = await twoPartitions(t, 'fetcher');
    const values = readSessions()
      .slice(0, 40)
      .map((s) => Buffer.from(bulkLines(s)));

    const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers: [bootstrap] });
    after(() => producer.close());
    const compressions = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
    // Eight sessions per compression, in one send (one batch per partition), both partitions.
    for (const [c, compression] of compressions.entries()) {
      await producer.send({
        acks: ProduceAcks.ALL,
        compression,
        messages: values.slice(c * 8, c * 8 + 8).map((value, i) => ({ topic, partition: i % 2, value })),
      });
    }
    const transactional = new Producer({
      clientId: 'test-transactions',
      bootstrapBrokers: [bootstrap],
      idempotent: true,
      transactionalId: uniqueName('tx'),
    });
    after(() => transactional.close());
    const aborted = await transactional.beginTransaction();
    await aborted.send({
      messages: [0, 1].map((partition) => ({ topic, partition, value: Buffer.from('aborted') })),
    });
    await aborted.abort();
    const committed = await transactional.beginTransaction();
    const last = [0, 1].map((partition) => ({ topic, partition, value: values[partition] as Buffer }));
    await committed.send({ messages: last });
    await committed.commit();
    const expected = [...values, ...last.map((m) => m.value)];

    const received = await readWithIndexerConsumer(t, topic, expected.length);

    assert.equal(received.length, expected.length, 'every committed message once; none of the aborted');
    assert.equal(
      received.filter((m) => m.value.toString() === 'aborted').length,
      0,
      'the aborted transaction is not read',
    );
    const byValue = (list: Buffer[]): string[] => list.map((v) => v.toString('base64')).sort();
    assert.deepEqual(byValue(received.map((m) => m.value)), byValue(expected), 'values byte for byte');
    for (const partition of [0, 1]) {
      const offsets = received.filter((m) => m.partition === partition).map((m) => m.offset);
      assert.deepEqual(
        offsets,
        [...offsets].sort((a, b) => (a < b ? -1 : 1)),
        `partition ${partition} in offset order`,
      );
    }
  });
});
