// What the failure producer asks of the brokers. Its durability rests on acks=all, and the client
// (2.12.1) ignores a constructor's `acks`, sending acks=1 unless told per send; so the request it
// starts is read off the client's own diagnostics channel. Nothing listens on the port: the send
// is traced when it starts, then fails.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ProduceAcks, producerSendsChannel } from '@platformatic/kafka';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { FailureProducer } from '../../../src/kafka/failures/producer.js';
import { capturedLogger } from '../../helpers/log-lines.js';
import { testMetrics } from '../../pipeline/fakes.js';
import { refusedDocument } from './refused.js';

/** A configuration whose brokers do not listen: each send is traced as it starts, then fails. */
function unreachableBrokerConfig(): Config {
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
  return loaded.config;
}

type Sent = { topic: string; headers: Map<Buffer, Buffer> };
type SendOptions = { acks?: unknown; messages?: Sent[] };

/** The options of every send the client starts until the test ends, read off its diagnostics channel. */
function tracedSends(t: TestContext): SendOptions[] {
  const sends: SendOptions[] = [];
  const onStart = (context: unknown): void => {
    sends.push((context as { options?: SendOptions }).options ?? {});
  };
  producerSendsChannel.start.subscribe(onStart);
  t.after(() => producerSendsChannel.start.unsubscribe(onStart));
  return sends;
}

test('failed documents are sent with acks=all: a record counts as delivered once every in-sync replica has it', async (t) => {
  const config = unreachableBrokerConfig();
  const producer = new FailureProducer(config, capturedLogger().logger, testMetrics());
  t.after(() => producer.close());
  const sends = tracedSends(t);

  await assert.rejects(producer.send([refusedDocument()]));
  assert.deepEqual(
    sends.map((options) => options.acks),
    [ProduceAcks.ALL],
  );
});

test("replay's producer writes to its own topic, and a record names its document's place in its source message", async (t) => {
  const config = unreachableBrokerConfig();
  const producer = new FailureProducer(
    config,
    capturedLogger().logger,
    testMetrics(),
    'failures.replay-failed',
  );
  t.after(() => producer.close());
  const sends = tracedSends(t);

  await assert.rejects(
    producer.send([
      refusedDocument({
        id: undefined,
        source: { topic: 'spi', topicId: '', partition: 3, offset: 1200n },
        position: 4,
      }),
    ]),
  );
  const sent = sends.flatMap((options) => options.messages ?? []);
  const headers = new Map([...(sent[0]?.headers ?? [])].map(([k, v]) => [k.toString(), v.toString()]));
  assert.equal(sent[0]?.topic, 'failures.replay-failed');
  assert.deepEqual(
    ['aki.source.topic', 'aki.source.partition', 'aki.source.offset', 'aki.source.position'].map((h) =>
      headers.get(h),
    ),
    ['spi', '3', '1200', '4'],
  );
  assert.equal(headers.has('aki.id'), false);
});
