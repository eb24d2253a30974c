// Exponential backoff with jitter: the n-th wait is between half and all of min(max, base·2^n).
// Jitter keeps many indexers that failed together from retrying together.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + random() / 2));
}
