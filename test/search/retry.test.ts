import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelay } from '../../src/search/retry.js';

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
