// Time as the pipeline sees it, passed in rather than read from globals, so that unit tests move
// time by hand (the flush interval, backoff waits, the drain grace time) instead of sleeping.
import { setTimeout as delay } from 'node:timers/promises';

/** A timer to clear; `unref` lets the process exit while it is still armed. */
export interface TimerHandle {
  unref: () => unknown;
}

export interface Clock {
  /** Milliseconds, on the same scale as `Date.now()`. */
  now: () => number;
  setTimeout: (callback: () => void, ms: number) => TimerHandle;
  clearTimeout: (timer: TimerHandle | undefined) => void;
  /** Waits `ms`; rejects as soon as `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<unknown>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  // Only handles made by setTimeout above reach here.
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
  sleep: (ms, signal) => delay(ms, undefined, signal === undefined ? undefined : { signal }),
};
