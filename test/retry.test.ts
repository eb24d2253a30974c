import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelay, canRetry, IndexerError, retry } from '../src/retry.js';

const policy = { baseMs: 100, maxMs: 10_000 };
const lowest = (): number => 0;
// Math.random() is below 1; this is as close as it gets.
const highest = (): number => 1 - Number.EPSILON;

describe('backoffDelay', () => {
  test('the n-th wait lies between half and all of base·2^n', () => {
    for (const [attempt, ceiling] of [
      [0, 100],
      [1, 200],
      [2, 400],
      [5, 3200],
    ] as const) {
      assert.equal(backoffDelay(policy, attempt, lowest), ceiling / 2, `attempt ${attempt}, lowest`);
      assert.equal(backoffDelay(policy, attempt, highest), ceiling, `attempt ${attempt}, highest`);
      assert.equal(
        backoffDelay(policy, attempt, () => 0.5),
        (ceiling * 3) / 4,
        `attempt ${attempt}, middle`,
      );
    }
  });

  test('the wait never exceeds maxMs, however many attempts', () => {
    for (const attempt of [7, 8, 20, 30, 31, 1000]) {
      assert.equal(backoffDelay(policy, attempt, highest), policy.maxMs, `attempt ${attempt}`);
      assert.equal(backoffDelay(policy, attempt, lowest), policy.maxMs / 2, `attempt ${attempt}`);
    }
  });

  test('a huge attempt number still gives a finite, whole number of ms', () => {
    const delay = backoffDelay({ baseMs: 1, maxMs: Number.MAX_SAFE_INTEGER }, 10_000, highest);
    assert.ok(Number.isSafeInteger(delay), String(delay));
  });

  test('with the default Math.random the wait stays within the bounds', () => {
    for (let i = 0; i < 1000; i += 1) {
      const delay = backoffDelay(policy, 3);
      assert.ok(delay >= 400 && delay <= 800, String(delay));
    }
  });

  test('random jitter spreads the waits of indexers that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(policy, 4)));
    assert.ok(delays.size > 10, `only ${delays.size} distinct waits`);
  });
});

describe('canRetry', () => {
  test('an error that says retryable: false, even wrapped deep inside others, cannot be retried', () => {
    const refused = new IndexerError('password refused', 'AKI_TEST', false);
    assert.equal(canRetry(refused), false);
    assert.equal(
      canRetry(new Error('outer', { cause: new AggregateError([new Error('x'), refused]) })),
      false,
    );
  });

  test('anything else may heal: plain errors, retryable ones, non-errors', () => {
    assert.equal(canRetry(new Error('ECONNREFUSED')), true);
    assert.equal(canRetry(new IndexerError('node away', 'AKI_TEST', true)), true);
    assert.equal(canRetry('a string'), true);
  });
});

describe('retry', () => {
  const policy = { baseMs: 100, maxMs: 1000 };

  test('tries until the operation resolves, waiting the backoff between tries', async () => {
    const waits: number[] = [];
    const seen: number[] = [];
    const result = await retry(
      (attempt) => {
        seen.push(attempt);
        return attempt < 4 ? Promise.reject(new Error(`try ${attempt}`)) : Promise.resolve('done');
      },
      { policy, random: highest, sleep: (ms) => Promise.resolve(waits.push(ms)) },
    );
    assert.equal(result, 'done');
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    assert.deepEqual(waits, [100, 200, 400, 800]);
  });

  test('an error that cannot be retried is thrown at once, without a wait', async () => {
    let waits = 0;
    const refused = new IndexerError('refused', 'AKI_TEST', false);
    await assert.rejects(
      retry(() => Promise.reject(refused), { policy, sleep: () => Promise.resolve(waits++) }),
      (error) => error === refused,
    );
    assert.equal(waits, 0);
  });

  test('aborting during a wait rejects with the last error; onRetry saw each failure', async () => {
    const controller = new AbortController();
    const told: string[] = [];
    await assert.rejects(
      retry((attempt) => Promise.reject(new Error(`try ${attempt}`)), {
        policy,
        signal: controller.signal,
        onRetry: (error, attempt) => {
          told.push(`${(error as Error).message}@${attempt}`);
          if (attempt === 2) controller.abort();
        },
        sleep: (_ms, signal) => (signal?.aborted ? Promise.reject(new Error('aborted')) : Promise.resolve()),
      }),
      /try 2/,
    );
    assert.deepEqual(told, ['try 0@0', 'try 1@1', 'try 2@2']);
  });
});
