import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Admin, Consumer, ProduceAcks, Producer, type Message } from '@platformatic/kafka';
import { bulkLines, readSessions } from '../../stack/arkime.js';
import { uniqueName } from '../../stack/names.js';
import { required, useStack } from '../helpers/stack.js';

describe('the real Kafka broker, through @platformatic/kafka', () => {
  let bootstrap: string;

  before(async () => {
    bootstrap = required((await useStack('kafka')).kafka, 'kafka').bootstrap;
  });

  test('a message produced to a topic is consumed by a group byte for byte, headers included', async () => {
    const topic = uniqueName('foundation');
    const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: [bootstrap] });
    after(() => admin.close());
    await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });

    // Three real sessions in Arkime's bulk1 format, one per message, spread over both partitions.
    const values = readSessions()
      .slice(0, 3)
      .map((s) => Buffer.from(bulkLines(s)));
    const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers: [bootstrap] });
    after(() => producer.close());
    await producer.send({
      acks: ProduceAcks.ALL,
      messages: values.map((value, i) => ({
        topic,
        partition: i % 2,
        key: Buffer.from(`key-${i}`),
        value,
        headers: new Map([[Buffer.from('source'), Buffer.from(`test-${i}`)]]),
      })),
    });

    const consumer = new Consumer({
      clientId: 'test-consumer',
      groupId: uniqueName('group'),
      bootstrapBrokers: [bootstrap],
    });
    after(() => consumer.close(true));
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    const received: Message<Buffer, Buffer, Buffer, Buffer>[] = [];
    for await (const message of stream) {
      received.push(message);
      await message.commit();
      if (received.length === values.length) break;
    }
    await stream.close();

    const byKey = new Map(received.map((m) => [m.key.toString(), m]));
    values.forEach((value, i) => {
      const message = byKey.get(`key-${i}`);
      assert.ok(message, `message key-${i} was consumed`);
      assert.equal(message.partition, i % 2);
      assert.deepEqual(message.value, value);
      const headers = new Map([...message.headers].map(([k, v]) => [k.toString(), v.toString()]));
      assert.equal(headers.get('source'), `test-${i}`);
    });
  });
});
