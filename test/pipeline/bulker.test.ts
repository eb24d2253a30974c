import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Bulker, type Batch } from '../../src/pipeline/bulker.js';

const limits = { maxMessages: 3, maxBytes: 100, flushIntervalMs: 500 };

const summary = (batches: readonly Batch<string>[]): [string[], number, string][] =>
  batches.map((b) => [b.entries, b.bytes, b.reason]);

describe('message limit', () => {
  test('the message that reaches maxMessages goes out with its batch', () => {
    const bulker = new Bulker<string>(limits);
    assert.deepEqual(bulker.add('a', 10, 0), []);
    assert.deepEqual(bulker.add('b', 10, 0), []);
    assert.deepEqual(summary(bulker.add('c', 10, 0)), [[['a', 'b', 'c'], 30, 'msg_limit']]);
    assert.equal(bulker.pendingMessages, 0);
    assert.equal(bulker.deadline, undefined);
  });

  test('with maxMessages 1 every message is a batch of its own', () => {
    const bulker = new Bulker<string>({ ...limits, maxMessages: 1 });
    assert.deepEqual(summary(bulker.add('a', 10, 0)), [[['a'], 10, 'msg_limit']]);
    assert.deepEqual(summary(bulker.add('b', 10, 0)), [[['b'], 10, 'msg_limit']]);
  });
});

describe('byte limit', () => {
  test('the pending batch goes out before a message that would take it over the limit', () => {
    const bulker = new Bulker<string>(limits);
    bulker.add('a', 60, 0);
    assert.deepEqual(summary(bulker.add('b', 41, 0)), [[['a'], 60, 'bytes_limit']]);
    assert.equal(bulker.pendingMessages, 1);
    assert.deepEqual(summary([bulker.drain() as Batch<string>]), [[['b'], 41, 'shutdown']]);
  });

  test('a batch that reaches the limit exactly goes out at once, with the last message in it', () => {
    const bulker = new Bulker<string>(limits);
    bulker.add('a', 60, 0);
    assert.deepEqual(summary(bulker.add('b', 40, 0)), [[['a', 'b'], 100, 'bytes_limit']]);
    assert.equal(bulker.pendingMessages, 0);
  });

  test('a message larger than the limit travels alone, after what was pending', () => {
    const bulker = new Bulker<string>(limits);
    bulker.add('a', 10, 0);
    assert.deepEqual(summary(bulker.add('huge', 250, 0)), [
      [['a'], 10, 'bytes_limit'],
      [['huge'], 250, 'bytes_limit'],
    ]);
    assert.equal(bulker.drain(), undefined);
  });

  test('a message larger than the limit on an empty bulker travels alone', () => {
    const bulker = new Bulker<string>(limits);
    assert.deepEqual(summary(bulker.add('huge', 250, 0)), [[['huge'], 250, 'bytes_limit']]);
  });
});

describe('time limit', () => {
  test('the deadline is flushIntervalMs after the first message of the batch, not the last', () => {
    const bulker = new Bulker<string>(limits);
    assert.equal(bulker.deadline, undefined);
    bulker.add('a', 1, 1000);
    bulker.add('b', 1, 1400);
    assert.equal(bulker.deadline, 1500);
  });

  test('due() hands out the batch once its deadline has come, not before', () => {
    const bulker = new Bulker<string>(limits);
    bulker.add('a', 1, 1000);
    assert.equal(bulker.due(1499), undefined);
    assert.deepEqual(summary([bulker.due(1500) as Batch<string>]), [[['a'], 1, 'time_limit']]);
    assert.equal(bulker.due(5000), undefined);
    assert.equal(bulker.deadline, undefined);
  });

  test('a batch started after a flush gets a deadline of its own', () => {
    const bulker = new Bulker<string>(limits);
    bulker.add('a', 1, 1000);
    bulker.due(1500);
    bulker.add('b', 1, 2000);
    assert.equal(bulker.deadline, 2500);
  });

  test('after a byte-limit flush, the message that caused it starts the clock', () => {
    const bulker = new Bulker<string>(limits);
    bulker.add('a', 60, 1000);
    bulker.add('b', 60, 1300);
    assert.equal(bulker.deadline, 1800);
  });
});

describe('shutdown', () => {
  test('drain() hands out whatever is pending, once', () => {
    const bulker = new Bulker<string>(limits);
    bulker.add('a', 5, 0);
    bulker.add('b', 5, 0);
    assert.deepEqual(summary([bulker.drain() as Batch<string>]), [[['a', 'b'], 10, 'shutdown']]);
    assert.equal(bulker.drain(), undefined);
    assert.equal(bulker.pendingMessages, 0);
  });

  test('an empty bulker gives no batch to drain() or due()', () => {
    const bulker = new Bulker<string>(limits);
    assert.equal(bulker.drain(), undefined);
    assert.equal(bulker.due(Number.MAX_SAFE_INTEGER), undefined);
  });
});

test('over many random messages: no empty batch, no loss, order kept, limits held', () => {
  let seed = 11;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const bulker = new Bulker<number>({ maxMessages: 7, maxBytes: 1000, flushIntervalMs: 50 });
  const batches: Batch<number>[] = [];
  const sizes: number[] = [];
  let now = 0;
  for (let i = 0; i < 5000; i += 1) {
    now += Math.floor(random() * 20);
    const size = random() < 0.02 ? 1500 : 1 + Math.floor(random() * 400);
    sizes.push(size);
    batches.push(...bulker.add(i, size, now));
    const due = bulker.due(now + Math.floor(random() * 20));
    if (due !== undefined) batches.push(due);
  }
  const last = bulker.drain();
  if (last !== undefined) batches.push(last);

  assert.deepEqual(
    batches.flatMap((b) => b.entries),
    sizes.map((_, i) => i),
  );
  for (const batch of batches) {
    assert.ok(batch.entries.length > 0, 'empty batch');
    assert.ok(batch.entries.length <= 7, 'too many messages');
    assert.equal(
      batch.bytes,
      batch.entries.reduce((sum, i) => sum + (sizes[i] ?? 0), 0),
    );
    assert.ok(batch.bytes <= 1000 || batch.entries.length === 1, `${batch.bytes} bytes in one batch`);
  }
  // The invariants above only mean something if the stream met every limit.
  assert.deepEqual(
    new Set(batches.map((b) => b.reason)),
    new Set(['msg_limit', 'bytes_limit', 'time_limit']),
  );
});
