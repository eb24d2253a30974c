// What the failure producer asks of the brokers. Its durability rests on acks=all, and the client
// (2.12.1) ignores a constructor's `acks`, sending acks=1 unless told per send; so the request it
// starts is read off the client's own diagnostics channel. Nothing listens on the port: the send
// is traced when it starts, then fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProduceAcks, producerSendsChannel } from '@platformatic/kafka';
import { loadConfig } from '../../src/config/load.js';
import { FailureProducer } from '../../src/kafka/failure-producer.js';
import { capturedLogger } from '../helpers/log-lines.js';
import { testMetrics } from '../pipeline/fakes.js';

test('failed documents are sent with acks=all: a record counts as delivered once every in-sync replica has it', async (t) => {
  const loaded = loadConfig({
    KAFKA_CONSUMER_TOPIC: 'spi',
    KAFKA_CONSUMER_GROUP_NAME: 'g',
    ELASTIC_SERVICE: 'http://127.0.0.1:1',
    KAFKA_PRODUCER_BROKERS: '127.0.0.1:1',
    KAFKA_PRODUCER_TOPIC: 'failures',
    KAFKA_PRODUCER_MSG_RETRIES: '0',
    KAFKA_PRODUCER_MSG_TIMEOUT: '1s',
  });
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.join('\n'));
  const producer = new FailureProducer(loaded.config, capturedLogger().logger, testMetrics());
  t.after(() => producer.close());
  const acks: unknown[] = [];
  const onStart = (context: unknown): void => {
    acks.push((context as { options?: { acks?: unknown } }).options?.acks);
  };
  producerSendsChannel.start.subscribe(onStart);
  t.after(() => producerSendsChannel.start.unsubscribe(onStart));

  await assert.rejects(
    producer.send([
      {
        bytes: Buffer.from('{"index":{"_index":"sessions3-x"}}\n{"a":1}\n'),
        reason: 'failed to parse field [a]',
        errorType: 'mapper_parsing_exception',
        status: 400,
        index: 'sessions3-x',
        id: 'id-1',
        source: { topic: 'spi', partition: 0, offset: 1n },
      },
    ]),
  );
  assert.deepEqual(acks, [ProduceAcks.ALL]);
});
