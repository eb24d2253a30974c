// How long to wait before trying again (exponential backoff with jitter, capped), and whether
// trying again can help at all, read from an error's `retryable` flag, never from its message.
// Every place that tries again waits by it: fetching from Kafka again, delivery to the failure
// topic, search nodes brought back, and bulk resends, whose rule (what is sent again, split or
// failed) is search/retry-decision.ts.
import { setTimeout as delay } from 'node:timers/promises';

export interface BackoffPolicy {
  /** The first wait's ceiling; each further try doubles it. */
  baseMs: number;
  /** No wait is longer than this. */
  maxMs: number;
}

/** The fixed policies; the search cluster's is configured (search/retry-decision.ts). */
export const backoff = {
  /** Fetching from Kafka again after the stream failed or while no broker answers. */
  kafkaFetch: { baseMs: 1000, maxMs: 30_000 },
  /** Producing refused documents to the failure topic. */
  failureDelivery: { baseMs: 1000, maxMs: 30_000 },
} as const satisfies Record<string, BackoffPolicy>;

/**
 * The wait before try `attempt + 1` (attempt 0 is the first retry): between half and all of
 * min(maxMs, baseMs·2^attempt). Jitter keeps many indexers that failed together from retrying
 * together.
 */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** An error of this project's: a stable code to match on, and whether trying again can help. */
export class IndexerError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Every error in a tree: aggregated errors and causes, depth first. */
export function errorTree(error: unknown, seen = new Set<unknown>()): Error[] {
  if (!(error instanceof Error) || seen.has(error)) return [];
  seen.add(error);
  const children = [...(error instanceof AggregateError ? (error.errors as unknown[]) : []), error.cause];
  return [error, ...children.flatMap((child) => errorTree(child, seen))];
}

/**
 * Whether trying again can help: not when the error, or one it wraps, says `retryable: false` (a
 * refused certificate or password). Anything else (a broker restarting, a node away) may heal.
 */
export function canRetry(error: unknown): boolean {
  return !errorTree(error).some((e) => (e as { retryable?: unknown }).retryable === false);
}

export interface RetryOptions {
  policy: BackoffPolicy;
  /** Aborting stops the waiting: `retry` then rejects with the last error. */
  signal?: AbortSignal;
  /** Told of each failed try before its wait: log it, count it. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Whether this error is worth another try (default `canRetry`). */
  retryable?: (error: unknown) => boolean;
  /** Injected in tests: waits `ms`, or rejects when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<unknown>;
  random?: () => number;
}

/**
 * Runs `operation` until it resolves. Rejects with its error when that error cannot be retried,
 * or when `signal` aborts (before a try, or during a wait).
 */
export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { policy, signal, onRetry, retryable = canRetry, sleep = sleepFor, random } = options;
  // A call, not a property read: onRetry or the wait may abort it in between.
  const aborted = (): boolean => signal?.aborted ?? false;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (aborted() || !retryable(error)) throw error;
      const wait = backoffDelay(policy, attempt, random);
      onRetry?.(error, attempt, wait);
      const slept = await sleep(wait, signal).then(
        () => true,
        () => false,
      );
      if (!slept || aborted()) throw error;
    }
  }
}

function sleepFor(ms: number, signal?: AbortSignal): Promise<unknown> {
  return delay(ms, undefined, signal === undefined ? undefined : { signal });
}
