// How `replay` stops when asked (replay/run.ts, on the first SIGINT or SIGTERM): whatever it is
// waiting on at that moment (the brokers' offsets, the failure topic's next chunk, a bulk
// request) it stops waiting for, rather than waiting for it to answer first. What it abandons
// stays on the failure topic, for the next replay.

/** Thrown by `whileRunning` once the replay is asked to stop. */
export class Stopped extends Error {
  constructor() {
    super('stopped before the end');
    this.name = 'Stopped';
  }
}

/**
 * `operation`'s outcome, or `Stopped` as soon as `signal` aborts; the operation is then left to
 * settle alone. The abort listener goes as soon as either comes: one per chunk read would
 * otherwise pile up on the signal.
 */
export async function whileRunning<T>(operation: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort = (): void => undefined;
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Stopped());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    // The race hears both: the operation's later rejection is not an unhandled one. Stopped
    // first: once asked to stop, even an operation already done is not gone on with.
    return await Promise.race([stopped, operation]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * The items of `source` until `signal` aborts, which ends the iteration at once, even while an
 * item is awaited. The source is then asked to return, without waiting: a generator busy with a
 * `next()` returns only when that settles, and the caller closing the source is what ends it.
 */
export async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<T>;
      try {
        next = await whileRunning(iterator.next(), signal);
      } catch (error) {
        if (error instanceof Stopped) return;
        throw error;
      }
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    void iterator.return?.()?.catch(() => undefined);
  }
}
