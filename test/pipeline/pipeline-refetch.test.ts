// After the consumer's stream fails, the pipeline fetches again by the one retry policy
// (backoff.kafkaFetch: jittered, doubling, up to 30 s), logging the streak once when it starts
// and once when it ends; an error no retry fixes ends the run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MessageChunk } from '../../src/records.js';
import { IndexerError } from '../../src/retry.js';
import { bulk1, levels } from './fakes.js';
import { Feed, startPipeline } from './pipeline-harness.js';

const brokerAway = (): Error => new Error('connect ECONNREFUSED 127.0.0.1:9092');

/** The consumer: `first` at start, then `failures` refused fetches, then the harness's feed. */
function consumer(first: Feed, failures: number) {
  const calls = { count: 0 };
  const messages = (feed: Feed): Promise<AsyncIterable<MessageChunk>> => {
    calls.count += 1;
    if (calls.count === 1) return Promise.resolve(first);
    return calls.count <= failures + 1 ? Promise.reject(brokerAway()) : Promise.resolve(feed);
  };
  return { calls, messages };
}

describe('after a stream error', () => {
  test('fetches again with growing waits, logs one line when failures start and one when they end (not ready meanwhile), and loses nothing', async () => {
    const first = new Feed();
    const { calls, messages } = consumer(first, 2);
    const h = startPipeline({ messages, limits: { flushIntervalMs: 1000 } });
    first.push(bulk1(0));
    await h.clock.settle();
    first.fail(new Error('read ECONNRESET'));
    await h.clock.advanceUntil(() => calls.count === 2, 100);
    assert.deepEqual(h.kafkaReports, [true], 'unavailable (not ready) from the first failure');
    await h.clock.advanceUntil(() => calls.count === 4, 100);
    assert.deepEqual(h.kafkaReports, [true, false], 'available again once fetching works: once each way');
    const [first0 = 0, second = 0, third = 0] = h.clock.sleeps;
    assert.equal(h.clock.sleeps.length, 3);
    assert.ok(first0 >= 500 && first0 <= 1000, `first wait ${first0} ms`);
    assert.ok(second >= 1000 && second <= 2000, `second wait ${second} ms`);
    assert.ok(third >= 2000 && third <= 4000, `third wait ${third} ms`);
    const warnings = h.log.lines.filter((l) => l.level >= levels.warn);
    assert.deepEqual(
      warnings.map((l) => l.msg),
      ['Kafka consumer failed; fetching again, waiting longer after each failed try'],
    );
    assert.match(JSON.stringify(warnings[0]?.['err']), /ECONNRESET/);
    const recovered = h.log.lines.filter((l) => l.msg === 'Kafka consumer fetching again');
    assert.deepEqual(
      recovered.map((l) => [l.level, l['tries'], l['afterMs']]),
      [[levels.info, 3, first0 + second + third]],
    );
    // Redelivered from the last commit: message 0 again (already here), then message 1.
    h.feed.push(bulk1(0), bulk1(1));
    await h.clock.settle();
    await h.pipeline.stop();
    await h.clock.advanceUntil(() => h.outcome.finished, 100);
    assert.equal(h.outcome.error, undefined);
    assert.deepEqual(
      h.requests.flatMap((r) => r.offsets),
      [0, 1],
      'every message indexed once',
    );
    assert.equal(h.committed().get(0), 2n);
  });

  test('an error no retry fixes ends the run at once, after what was taken is sent and committed', async () => {
    const first = new Feed();
    const { calls, messages } = consumer(first, 0);
    const h = startPipeline({ messages });
    first.push(bulk1(0));
    await h.clock.settle();
    const refused = new IndexerError('SASL authentication failed', 'AKI_TEST_REFUSED', false);
    first.fail(refused);
    await h.clock.settle();
    assert.equal(h.outcome.finished, true);
    assert.equal(h.outcome.error, refused);
    assert.equal(calls.count, 1, 'not fetched again');
    assert.deepEqual(h.clock.sleeps, []);
    assert.deepEqual(h.requests, [{ offsets: [0], at: 0 }]);
    assert.equal(h.committed().get(0), 1n);
  });

  test('a stop while waiting to fetch again ends the run quietly, without waiting out the backoff', async () => {
    const first = new Feed();
    const { calls, messages } = consumer(first, 0);
    const h = startPipeline({ messages });
    first.fail(brokerAway());
    await h.clock.advance(100);
    assert.equal(h.outcome.finished, false);
    await h.pipeline.stop();
    await h.clock.settle();
    assert.equal(h.outcome.finished, true);
    assert.equal(h.outcome.error, undefined, 'a stop is not a failure');
    assert.equal(calls.count, 1, 'not fetched again');
  });
});

describe('at start-up', () => {
  /** The consumer: `failures` refused starts, then the harness's feed. */
  function startsAfter(failures: number) {
    const calls = { count: 0 };
    const messages = (feed: Feed): Promise<AsyncIterable<MessageChunk>> => {
      calls.count += 1;
      return calls.count <= failures ? Promise.reject(brokerAway()) : Promise.resolve(feed);
    };
    return { calls, messages };
  }

  test('waits for brokers that do not answer yet, logging the streak once at each end, then consumes', async () => {
    const { calls, messages } = startsAfter(4);
    const h = startPipeline({ messages });
    await h.clock.advanceUntil(() => calls.count === 5, 100);
    assert.equal(h.clock.sleeps.length, 4);
    const waits = h.log.lines.filter((l) => l.level >= levels.warn);
    assert.deepEqual(
      waits.map((l) => l.msg),
      ['Kafka consumer cannot start yet; waiting for the brokers, longer after each failed try'],
    );
    const started = h.log.lines.filter((l) => l.msg === 'Kafka consumer started');
    assert.deepEqual(
      started.map((l) => [l['tries'], l['afterMs']]),
      [[4, h.clock.sleeps.reduce((sum, ms) => sum + ms, 0)]],
    );
    assert.deepEqual(h.kafkaReports, [true, false], 'unavailable while waiting, once each way');
    h.feed.push(bulk1(0));
    await h.clock.settle();
    await h.pipeline.stop();
    await h.clock.advanceUntil(() => h.outcome.finished, 100);
    assert.equal(h.outcome.error, undefined);
    assert.equal(h.committed().get(0), 1n);
  });

  test('with KAFKA_STARTUP_WAIT set, gives up once it has passed, naming the setting', async () => {
    const { calls, messages } = startsAfter(Number.POSITIVE_INFINITY);
    const h = startPipeline({ messages, startupWaitMs: 10_000 });
    await h.clock.advanceUntil(() => h.outcome.finished, 100);
    const waited = h.clock.sleeps.reduce((sum, ms) => sum + ms, 0);
    const beforeLast = waited - (h.clock.sleeps.at(-1) ?? 0);
    // It gives up at the first failure after the setting has passed, not one wait earlier.
    assert.ok(waited >= 10_000 && beforeLast < 10_000, `gave up after ${waited} ms of waits`);
    assert.ok(calls.count >= 3, `${calls.count} tries`);
    assert.match(
      String(h.outcome.error),
      /no Kafka broker answered within KAFKA_STARTUP_WAIT \(10000 ms\): .*ECONNREFUSED/,
    );
    assert.equal((h.outcome.error as { code?: string }).code, 'AKI_KAFKA_STARTUP_WAIT');
  });

  test('a stop while waiting for the brokers ends the run quietly', async () => {
    const { calls, messages } = startsAfter(Number.POSITIVE_INFINITY);
    const h = startPipeline({ messages });
    await h.clock.advanceUntil(() => calls.count === 2, 100);
    await h.pipeline.stop();
    await h.clock.settle();
    assert.equal(h.outcome.finished, true);
    assert.equal(h.outcome.error, undefined);
  });
});

describe('commits failing while the brokers are away', () => {
  test('one warning when they start failing, one line when they succeed again; the position is committed then', async () => {
    const h = startPipeline({ commitFails: (attempt) => attempt < 5 });
    h.feed.push(bulk1(0));
    await h.clock.settle();
    for (let i = 0; i < 8; i += 1) await h.clock.advance(1000);
    const lines = h.log.lines.filter((l) => /offset commit/.test(String(l.msg)));
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg]),
      [
        [levels.warn, 'offset commit failed; will retry'],
        ...Array.from({ length: 4 }, () => [levels.debug, 'offset commit failed again']),
        [levels.info, 'offset commits succeed again'],
      ],
    );
    assert.equal(h.committed().get(0), 1n);
    await h.pipeline.stop();
    await h.clock.advanceUntil(() => h.outcome.finished, 100);
  });
});
