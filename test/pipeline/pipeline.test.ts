// The pipeline's scheduling, with the bulk sender replaced by a function that answers
// all-success after a delay: a cluster that is slower than the messages come.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumedMessage } from '../../src/records.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createMetrics } from '../../src/telemetry/metrics.js';

const silent = new Writable({ write: (_chunk, _encoding, done) => done() });

function bulk1(offset: number): ConsumedMessage {
  const value = Buffer.from(`{"index":{"_index":"x","_id":"d${offset}"}}\n{"n":${offset}}\n`);
  return { topic: 't', partition: 0, offset: BigInt(offset), value };
}

test('a batch whose time is up while every indexer is busy waits and fills: no queue of small batches', async () => {
  const messages = Array.from({ length: 60 }, (_, i) => bulk1(i));
  const size = messages[0]?.value.length ?? 0;
  const sent: number[] = [];
  const logger = createLogger('error', silent);
  const metrics = createMetrics({
    metricsNamespace: 'test',
    metricsSubsystem: '',
    metricsFlushedBytesBuckets: [1],
    metricsFlushedMsgsBuckets: [1],
  });
  // The generator below stops the pipeline; it runs only once run() has started.
  const pipeline: Pipeline = new Pipeline({
    // One chunk now and then one message every 5 ms: the loop blocks on the busy indexer in between.
    messages: () =>
      Promise.resolve(
        (async function* () {
          yield messages.slice(0, 10);
          for (const message of messages.slice(10)) {
            await sleep(5);
            yield [message];
          }
          await sleep(200);
          await pipeline.stop();
        })(),
      ),
    recoverable: () => false,
    refetchDelayMs: 10,
    stopFetching: () => Promise.resolve(),
    commit: () => Promise.resolve(),
    indexer: {
      send: async (body) => {
        sent.push(body.reduce((lines, b) => lines + b.toString().split('\n').length - 1, 0) / 2);
        await sleep(60); // slower than a batch takes to fill
        return { status: 200, body: '{"errors":false}', node: 'test' };
      },
      fail: () => Promise.resolve(),
      metrics,
      logger,
      retryStatuses: new Set(),
      maxRetries: 3,
      giveUpAfterMs: 0,
      backoff: { baseMs: 10, maxMs: 10 },
      onUnavailable: () => undefined,
    },
    limits: { maxMessages: 1000, maxBytes: size * 10, flushIntervalMs: 20 },
    instances: 1,
    maxBufferedBytes: 1 << 30,
    deterministicIds: false,
    allowList: (parsed) => parsed,
    commitIntervalMs: 1000,
    drainGraceMs: 1000,
    metrics,
    logger,
  });
  await pipeline.run();
  assert.equal(
    sent.reduce((a, b) => a + b, 0),
    60,
    'every document sent once',
  );
  // The flush interval (20 ms) passes many times while the one indexer is busy (60 ms a bulk);
  // the batch waiting meanwhile must keep filling, not go out with a document or two.
  const small = sent.slice(0, -1).filter((documents) => documents < 5);
  assert.deepEqual(small, [], `bulk sizes: ${sent.join(', ')}`);
});
