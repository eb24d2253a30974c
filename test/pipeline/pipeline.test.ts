// The pipeline's scheduling on a clock moved by hand, with the bulk sender replaced by a function
// that answers after a delay of that clock: when batches leave, when fetching waits and resumes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bulk1, leaseOf, valueOf } from './fakes.js';
import { range, startPipeline } from './pipeline-harness.js';

/** Messages `from` to `to - 1`, all of the same size (the same session with other ids). */
const sameSize = (from: number, to: number) => range(from, to).map((i) => bulk1(i, { session: 0 }));
const size = bulk1(0, { session: 0 }).value.length;

describe('flushing on each limit', () => {
  test('BULKER_MAX_MESSAGES: a batch leaves as soon as it holds that many messages', async () => {
    const h = startPipeline({ instances: 2, limits: { maxMessages: 5 } });
    h.feed.push(...range(0, 12).map((i) => bulk1(i)));
    await h.clock.settle();
    assert.deepEqual(h.requests, [
      { offsets: range(0, 5), at: 0 },
      { offsets: range(5, 10), at: 0 },
    ]);
    assert.equal(await valueOf(h.metrics.flushReasons, { reason: 'msg_limit' }), 2);
    assert.equal(await valueOf(h.metrics.flushReasons), 2, 'no other flush');
  });

  test('BULKER_MAX_BYTES: a batch leaves before the next message would take it past the limit', async () => {
    const h = startPipeline({ instances: 2, limits: { maxBytes: size * 3 + 10 } });
    h.feed.push(...sameSize(0, 7));
    await h.clock.settle();
    assert.deepEqual(h.requests, [
      { offsets: [0, 1, 2], at: 0 },
      { offsets: [3, 4, 5], at: 0 },
    ]);
    assert.equal(await valueOf(h.metrics.flushReasons, { reason: 'bytes_limit' }), 2);
    assert.equal(await valueOf(h.metrics.flushReasons), 2, 'no other flush');
  });

  test('BULKER_FLUSH_INTERVAL: a batch leaves when that long has passed since its first message', async () => {
    const h = startPipeline({ limits: { flushIntervalMs: 1000 } });
    h.feed.push(bulk1(0), bulk1(1));
    await h.clock.advance(500);
    h.feed.push(bulk1(2));
    await h.clock.advance(499);
    assert.deepEqual(h.requests, [], 'not before the first message is 1000 ms old');
    await h.clock.advance(1);
    assert.deepEqual(h.requests, [{ offsets: [0, 1, 2], at: 1000 }]);
    await h.clock.advance(200);
    h.feed.push(bulk1(3));
    await h.clock.advance(1000);
    assert.deepEqual(
      h.requests.at(-1),
      { offsets: [3], at: 2200 },
      'the next batch counts from its own first message',
    );
    assert.equal(await valueOf(h.metrics.flushReasons, { reason: 'time_limit' }), 2);
  });
});

describe('while every indexer is busy', () => {
  test('a batch whose time comes stays in the bulker, goes on filling, and leaves when an indexer frees up', async () => {
    const h = startPipeline({ instances: 1, latencyMs: 100, limits: { flushIntervalMs: 20 } });
    h.feed.push(bulk1(0), bulk1(1), bulk1(2));
    await h.clock.advance(20); // sent at 20, busy until 120
    await h.clock.advance(10);
    h.feed.push(bulk1(3), bulk1(4)); // due at 50, while the indexer is busy
    await h.clock.advance(30);
    h.feed.push(bulk1(5), bulk1(6));
    await h.clock.advance(59);
    assert.deepEqual(
      h.requests,
      [{ offsets: [0, 1, 2], at: 20 }],
      'nothing leaves while the indexer is busy',
    );
    await h.clock.advance(1);
    assert.deepEqual(h.requests, [
      { offsets: [0, 1, 2], at: 20 },
      { offsets: [3, 4, 5, 6], at: 120 },
    ]);
    assert.equal(await valueOf(h.metrics.flushReasons, { reason: 'time_limit' }), 2);
  });

  test('no queue of small batches: with flushes due many times per bulk, every bulk but the last is full-sized', async () => {
    const messages = sameSize(0, 60);
    // A bulk takes 60 ms; a batch is due every 20 ms and full at 10 messages; one message comes every 5 ms.
    const h = startPipeline({
      instances: 1,
      latencyMs: 60,
      limits: { maxBytes: size * 10, flushIntervalMs: 20 },
      drainGraceMs: 1000,
    });
    h.feed.push(...messages.slice(0, 10));
    for (const message of messages.slice(10)) {
      await h.clock.advance(5);
      h.feed.push(message);
    }
    await h.clock.advance(200);
    await h.pipeline.stop();
    await h.clock.advanceUntil(() => h.outcome.finished, 10);
    assert.equal(h.outcome.error, undefined);
    assert.deepEqual(
      h.requests.flatMap((r) => r.offsets),
      range(0, 60),
      'every document sent once, in order',
    );
    const sent = h.requests.map((r) => r.offsets.length);
    const small = sent.slice(0, -1).filter((documents) => documents < 5);
    assert.deepEqual(small, [], `bulk sizes: ${sent.join(', ')}`);
    assert.ok(await valueOf(h.metrics.fetchPausedSeconds, { reason: 'indexers_busy' }), 'fetching waited');
    assert.equal(h.committed().get(0), 60n);
  });
});

describe('MAX_BUFFERED_BYTES', () => {
  test('fetching pauses while they are all taken and resumes by itself as batches finish', async () => {
    const h = startPipeline({
      instances: 2,
      latencyMs: 100,
      maxBufferedBytes: size * 4,
      limits: { maxMessages: 2 },
    });
    h.feed.push(...sameSize(0, 8));
    await h.clock.advance(99);
    assert.deepEqual(
      h.requests.map((r) => r.offsets),
      [
        [0, 1],
        [2, 3],
      ],
      'message 4 waits for room',
    );
    assert.equal(await valueOf(h.metrics.fetchPaused), 1);
    assert.equal(await valueOf(h.metrics.bufferedBytes), size * 4);
    await h.clock.advance(1);
    assert.deepEqual(
      h.requests.slice(2),
      [
        { offsets: [4, 5], at: 100 },
        { offsets: [6, 7], at: 100 },
      ],
      'resumed when the first batches were done',
    );
    assert.equal(await valueOf(h.metrics.fetchPaused), 0);
    h.feed.push(bulk1(8, { session: 0 }));
    await h.clock.advance(50);
    assert.equal(
      await valueOf(h.metrics.consumedMessages),
      8,
      'message 8 is not taken while the buffer is full',
    );
    assert.equal(await valueOf(h.metrics.fetchPaused), 1);
    await h.clock.advance(50);
    assert.equal(await valueOf(h.metrics.consumedMessages), 9);
    assert.equal(await valueOf(h.metrics.fetchPaused), 0);
    assert.equal(await valueOf(h.metrics.fetchPausedSeconds, { reason: 'max_buffered_bytes' }), 0.2);
    assert.equal(await valueOf(h.metrics.bufferedBytes), size, 'message 8 only');
  });

  test('with nothing in flight, what the bulker holds leaves at once as buffer_full', async () => {
    const h = startPipeline({
      latencyMs: 100,
      maxBufferedBytes: size * 3,
      limits: { flushIntervalMs: 1000 },
    });
    h.feed.push(...sameSize(0, 5));
    await h.clock.settle();
    assert.deepEqual(h.requests, [{ offsets: [0, 1, 2], at: 0 }]);
    assert.equal(await valueOf(h.metrics.flushReasons, { reason: 'buffer_full' }), 1);
    assert.equal(await valueOf(h.metrics.flushReasons, { reason: 'bytes_limit' }), 0);
    await h.clock.advance(1100); // messages 3 and 4 taken at 100, due at 1100
    assert.deepEqual(h.requests.at(-1), { offsets: [3, 4], at: 1100 });
    assert.equal(await valueOf(h.metrics.flushReasons, { reason: 'time_limit' }), 1);
  });
});

describe('revoked partitions', () => {
  test('a batch that finishes after its partition was revoked commits nothing for it', async () => {
    const h = startPipeline({ latencyMs: 100 });
    h.feed.push(bulk1(0), bulk1(10, { partition: 1 }));
    await h.clock.advance(1050); // sent at 1000, done at 1100
    leaseOf('sessions', 1).ended = true; // partition 1 revoked
    await h.clock.advance(1000);
    await h.pipeline.stop();
    await h.clock.advanceUntil(() => h.outcome.finished, 10);
    assert.deepEqual(h.requests, [{ offsets: [0, 10], at: 1000 }]);
    assert.deepEqual(
      h.commits.flat().map(({ lease: _, ...p }) => p),
      [{ topic: 'sessions', partition: 0, offset: 1n, leaderEpoch: -1 }],
    );
  });
});

describe('seconds behind capture', () => {
  test('the oldest message not yet indexed sets it until the cluster answers; each message then observes its delay', async () => {
    const h = startPipeline({ latencyMs: 1000, limits: { maxMessages: 2 } });
    await h.clock.advance(10_000);
    h.feed.push({ ...bulk1(0), timestamp: 7_000 }, { ...bulk1(1), timestamp: 9_500 });
    await h.clock.advance(500);
    assert.deepEqual(
      h.pipeline.behind().map((row) => [row.partition, row.seconds]),
      [[0, 3.5]],
      '10.5 s now, stamped at 7 s',
    );
    await h.clock.advance(600);
    assert.deepEqual(
      h.pipeline.behind().map((row) => [row.partition, row.seconds]),
      [[0, 0]],
      'indexed: nothing waits',
    );
    const delay = await h.metrics.indexingDelay.get();
    const of = (suffix: string) => delay.values.find((v) => v.metricName?.endsWith(suffix))?.value;
    assert.equal(of('_count'), 2);
    assert.equal(of('_sum'), (11_000 - 7_000 + (11_000 - 9_500)) / 1000);
  });
});
