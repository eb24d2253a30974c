// How replay stops waiting when asked: on an operation (the brokers' offsets), and on a source of
// chunks that has nothing more to give yet (the failure topic's reader waiting on a fetch).
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { Stopped, untilAborted, whileRunning } from '../../src/replay/stopping.js';

const never = new Promise<never>(() => undefined);

/** Yields `items`, then waits for ever, as a reader whose next fetch does not come. */
async function* thenNothing<T>(items: T[], returned: { value: boolean }): AsyncGenerator<T> {
  try {
    yield* items;
    await never;
  } finally {
    returned.value = true;
  }
}

describe('replay stopping', () => {
  test('whileRunning: the outcome when it comes first, Stopped when the signal does', async () => {
    const controller = new AbortController();
    assert.equal(await whileRunning(Promise.resolve(3), controller.signal), 3);
    await assert.rejects(
      whileRunning(Promise.reject(new Error('no broker')), controller.signal),
      /no broker/,
    );
    const waiting = whileRunning(never, controller.signal);
    controller.abort();
    await assert.rejects(waiting, Stopped);
    await assert.rejects(whileRunning(Promise.resolve(1), controller.signal), Stopped, 'already stopped');
  });

  test('whileRunning leaves no abort listener behind once the operation has settled', async () => {
    const { signal } = new AbortController();
    for (let i = 0; i < 100; i += 1) await whileRunning(Promise.resolve(i), signal);
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });

  test('untilAborted: the items, and the end as soon as the signal comes, even mid-wait', async () => {
    const controller = new AbortController();
    const returned = { value: false };
    const seen: number[] = [];
    for await (const item of untilAborted(thenNothing([1, 2], returned), controller.signal)) {
      seen.push(item);
      // After the second item, the source waits for ever: only the signal ends the loop.
      if (item === 2) setImmediate(() => controller.abort());
    }
    assert.deepEqual(seen, [1, 2]);
  });

  test('untilAborted: a source that ends, ends it; one stopped between items is asked to return', async () => {
    const all: number[] = [];
    for await (const item of untilAborted(
      (async function* () {
        yield* await Promise.resolve([1, 2, 3]);
      })(),
      new AbortController().signal,
    ))
      all.push(item);
    assert.deepEqual(all, [1, 2, 3]);

    const controller = new AbortController();
    const returned = { value: false };
    for await (const item of untilAborted(thenNothing([1, 2, 3], returned), controller.signal)) {
      if (item === 1) controller.abort();
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(returned.value, true, 'the source ran its finally (the reader closes its stream there)');
  });
});
