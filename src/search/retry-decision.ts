// What to do after a bulk answer: the whole retry rule for documents sent to the search cluster,
// as one pure function. classify.ts says what the answer means for each document (indexed, the
// cluster's state, or the document's own fault); this file decides what follows from it: which
// documents are sent again and after how long, which request is cut in halves to find the
// document at fault, which documents fail, when waiting stops, and when the cluster counts as
// unavailable. The indexer (pipeline/indexer.ts) only acts on the decision: it counts, logs, waits.
import type { Config } from '../config/schema.js';
import { backoffDelay, type BackoffPolicy } from '../retry.js';
import type { BulkOutcome } from './classify.js';

export interface RetryRule {
  /** Statuses that mean "try again" on top of 429 and 5xx (ELASTIC_CLIENT_RETRY_STATUSES). */
  retryStatuses: ReadonlySet<number>;
  /** Failed tries in a row after which the cluster is reported unavailable (retrying goes on). */
  maxRetries: number;
  /** Give documents up to the failure topic after retrying this long; 0: never. */
  giveUpAfterMs: number;
  backoff: BackoffPolicy;
}

export type RetryConfig = Pick<
  Config,
  | 'elasticClientRetryStatuses'
  | 'elasticClientMaxRetries'
  | 'elasticClientRetryGiveUpAfter'
  | 'elasticClientRetryMaxInterval'
>;

/** The rule as configured. The first wait is the Go indexer's smallest backoff, 50 ms. */
export function retryRule(config: RetryConfig): RetryRule {
  const maxMs = config.elasticClientRetryMaxInterval;
  return {
    retryStatuses: new Set(config.elasticClientRetryStatuses),
    maxRetries: config.elasticClientMaxRetries,
    giveUpAfterMs: config.elasticClientRetryGiveUpAfter,
    backoff: { baseMs: Math.min(50, maxMs), maxMs },
  };
}

/** A document waiting for the cluster. `resent`: sent again once already after a mapping race. */
export interface Pending {
  readonly resent?: true;
}

export interface Refusal<P> {
  pending: P;
  reason: string;
  type: string;
  status: number | undefined;
}

export interface RetryDecision<P extends Pending> {
  /** How many of the documents sent were indexed. */
  indexed: P[];
  /** Failed for good: the failure topic takes them (with `retries_exhausted` once waiting stops). */
  failed: Refusal<P>[];
  /** Halves to send apart: the cluster refused the request for its content. */
  split: P[][];
  /** To send again, each with the error type that calls for it. */
  resend: { pending: P; type: string }[];
  /** What the cluster last said, for the log: the reason to send again. */
  why: string;
  /** After the resend list: 'done' (nothing to resend), 'give_up' (sent to `failed`), or wait and send again. */
  next: { kind: 'done' } | { kind: 'give_up' } | { kind: 'wait'; delayMs: number; unavailable: boolean };
}

/**
 * Decides what follows an answer that was not all-success, for the documents `pending` (in the
 * order sent), on try `tries` (1 for the first), `elapsedMs` after the first try.
 */
export function decide<P extends Pending>(
  outcome: Exclude<BulkOutcome, { kind: 'all_ok' }>,
  pending: readonly P[],
  tries: number,
  elapsedMs: number,
  rule: RetryRule,
  random: () => number = Math.random,
): RetryDecision<P> {
  const decision: RetryDecision<P> = {
    indexed: [],
    failed: [],
    split: [],
    resend: [],
    why: '',
    next: { kind: 'done' },
  };
  if (outcome.kind === 'request_failed') {
    decision.why = `${outcome.type} (${outcome.status}): ${outcome.detail.slice(0, 300)}`;
    if (outcome.action === 'retry') {
      for (const p of pending) decision.resend.push({ pending: p, type: outcome.type });
    } else if (pending.length > 1) {
      // Refused for its content: halves, until the document at fault is alone.
      const half = Math.ceil(pending.length / 2);
      decision.split.push(pending.slice(0, half), pending.slice(half));
    } else if (pending[0] !== undefined) {
      decision.failed.push({
        pending: pending[0],
        reason: outcome.detail,
        type: outcome.type,
        status: outcome.status,
      });
    }
  } else {
    outcome.items.forEach((item, i) => {
      const p = pending[i] as P;
      if (item.kind === 'ok') decision.indexed.push(p);
      else if (item.kind === 'retry' || (item.kind === 'retry_once' && p.resent === undefined)) {
        // A mapping race is resent once: a second refusal is the document's own.
        decision.resend.push({
          pending: item.kind === 'retry' ? p : { ...p, resent: true },
          type: item.type,
        });
        decision.why = `${item.type} (${item.status}): ${item.reason}`;
      } else decision.failed.push({ pending: p, reason: item.reason, type: item.type, status: item.status });
    });
  }
  if (decision.resend.length === 0) return decision;
  if (rule.giveUpAfterMs > 0 && elapsedMs >= rule.giveUpAfterMs) {
    for (const { pending: p } of decision.resend)
      decision.failed.push({
        pending: p,
        reason: decision.why,
        type: 'retries_exhausted',
        status: undefined,
      });
    decision.next = { kind: 'give_up' };
    return decision;
  }
  const delayMs = backoffDelay(rule.backoff, tries - 1, random);
  decision.next = { kind: 'wait', delayMs, unavailable: tries === rule.maxRetries };
  return decision;
}

/** Whether an answer says the cluster is overloaded: slow down, whatever else it says. */
export function isBackPressure(outcome: BulkOutcome): boolean {
  if (outcome.kind === 'all_ok') return false;
  if (outcome.kind === 'request_failed') {
    return outcome.action === 'retry' && (rejected(outcome.status, outcome.type) || outcome.status === 0);
  }
  return outcome.items.some((item) => item.kind === 'retry' && rejected(item.status, item.type));
}

function rejected(status: number, type: string): boolean {
  return (
    status === 429 ||
    status === 503 ||
    type === 'es_rejected_execution_exception' ||
    type === 'rejected_execution_exception'
  );
}
