// The retry rule as a table: for each answer, what is indexed, resent, split and failed, and
// what follows (done, give up, or wait and whether the cluster counts as unavailable).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BulkOutcome, ItemOutcome } from '../../src/search/classify.js';
import {
  decide,
  isBackPressure,
  retryRule,
  type RetryDecision,
  type RetryRule,
} from '../../src/search/retry-decision.js';

interface Doc {
  name: string;
  resent?: true;
}

const rule: RetryRule = {
  retryStatuses: new Set([429]),
  maxRetries: 3,
  giveUpAfterMs: 60_000,
  backoff: { baseMs: 50, maxMs: 1000 },
};
const docs = (...names: string[]): Doc[] => names.map((name) => ({ name }));
const ok: ItemOutcome = { kind: 'ok' };
const item = (kind: 'retry' | 'retry_once' | 'failed', status: number, type: string): ItemOutcome => ({
  kind,
  status,
  type,
  reason: `${type} reason`,
});
const wholeRequest = (action: 'retry' | 'split', status: number, type: string) =>
  ({ kind: 'request_failed', action, status, type, detail: `${type} detail` }) as const;

/** The decision in names: what each list holds, and what comes next. */
function summary(decision: RetryDecision<Doc>) {
  return {
    indexed: decision.indexed.map((d) => d.name),
    resend: decision.resend.map((r) => `${r.pending.name}${r.pending.resent ? '*' : ''}:${r.type}`),
    split: decision.split.map((half) => half.map((d) => d.name)),
    failed: decision.failed.map((f) => `${f.pending.name}:${f.type}`),
    next:
      decision.next.kind === 'wait'
        ? `wait${decision.next.unavailable ? ', unavailable' : ''}`
        : decision.next.kind,
  };
}

type Case = {
  name: string;
  outcome: Exclude<BulkOutcome, { kind: 'all_ok' }>;
  pending: Doc[];
  tries?: number;
  elapsedMs?: number;
  expected: ReturnType<typeof summary>;
};

const none = { indexed: [], resend: [], split: [], failed: [] };

const cases: Case[] = [
  {
    name: 'a request refused for the cluster state: every document resent after a wait',
    outcome: wholeRequest('retry', 503, 'http_503'),
    pending: docs('a', 'b'),
    expected: { ...none, resend: ['a:http_503', 'b:http_503'], next: 'wait' },
  },
  {
    name: 'a request refused for its content: two halves, the larger first',
    outcome: wholeRequest('split', 400, 'parse_exception'),
    pending: docs('a', 'b', 'c'),
    expected: { ...none, split: [['a', 'b'], ['c']], next: 'done' },
  },
  {
    name: 'a lone document refused for its content fails with the request reason',
    outcome: wholeRequest('split', 413, 'http_413'),
    pending: docs('a'),
    expected: { ...none, failed: ['a:http_413'], next: 'done' },
  },
  {
    name: 'items: indexed, resent and failed each as the cluster said',
    outcome: {
      kind: 'items',
      items: [
        ok,
        item('retry', 429, 'es_rejected_execution_exception'),
        item('failed', 400, 'mapper_parsing_exception'),
      ],
    },
    pending: docs('a', 'b', 'c'),
    expected: {
      ...none,
      indexed: ['a'],
      resend: ['b:es_rejected_execution_exception'],
      failed: ['c:mapper_parsing_exception'],
      next: 'wait',
    },
  },
  {
    name: 'a mapping race is resent once, marked',
    outcome: { kind: 'items', items: [item('retry_once', 400, 'illegal_argument_exception')] },
    pending: docs('a'),
    expected: { ...none, resend: ['a*:illegal_argument_exception'], next: 'wait' },
  },
  {
    name: 'a mapping race met a second time is the document’s own refusal',
    outcome: { kind: 'items', items: [item('retry_once', 400, 'illegal_argument_exception')] },
    pending: [{ name: 'a', resent: true }],
    expected: { ...none, failed: ['a:illegal_argument_exception'], next: 'done' },
  },
  {
    name: 'every document refused for good: nothing to wait for',
    outcome: { kind: 'items', items: [item('failed', 400, 'x'), ok] },
    pending: docs('a', 'b'),
    expected: { ...none, indexed: ['b'], failed: ['a:x'], next: 'done' },
  },
  {
    name: 'the try that reaches maxRetries reports the cluster unavailable, and waits on',
    outcome: wholeRequest('retry', 0, 'unreachable'),
    pending: docs('a'),
    tries: 3,
    expected: { ...none, resend: ['a:unreachable'], next: 'wait, unavailable' },
  },
  {
    name: 'past maxRetries it keeps waiting without reporting again',
    outcome: wholeRequest('retry', 0, 'unreachable'),
    pending: docs('a'),
    tries: 4,
    expected: { ...none, resend: ['a:unreachable'], next: 'wait' },
  },
  {
    name: 'after giveUpAfterMs the documents to resend fail as retries_exhausted',
    outcome: { kind: 'items', items: [ok, item('retry', 429, 'http_429'), item('failed', 400, 'x')] },
    pending: docs('a', 'b', 'c'),
    elapsedMs: 60_000,
    expected: {
      ...none,
      indexed: ['a'],
      resend: ['b:http_429'],
      failed: ['c:x', 'b:retries_exhausted'],
      next: 'give_up',
    },
  },
  {
    name: 'giveUpAfterMs 0 never gives up',
    outcome: wholeRequest('retry', 503, 'http_503'),
    pending: docs('a'),
    elapsedMs: 10 * 24 * 3600_000,
    expected: { ...none, resend: ['a:http_503'], next: 'wait' },
  },
];

describe('decide', () => {
  for (const c of cases) {
    test(c.name, () => {
      const r = c.name.startsWith('giveUpAfterMs 0') ? { ...rule, giveUpAfterMs: 0 } : rule;
      const decision = decide(c.outcome, c.pending, c.tries ?? 1, c.elapsedMs ?? 0, r, () => 0.5);
      assert.deepEqual(summary(decision), c.expected);
    });
  }

  test('the wait grows with the tries, capped, with jitter between half and all of it', () => {
    const waits = [1, 2, 3, 10].map((tries) => {
      const next = decide(wholeRequest('retry', 503, 'x'), docs('a'), tries, 0, rule, () => 1).next;
      return next.kind === 'wait' ? next.delayMs : -1;
    });
    assert.deepEqual(waits, [50, 100, 200, 1000]);
    const low = decide(wholeRequest('retry', 503, 'x'), docs('a'), 2, 0, rule, () => 0).next;
    assert.deepEqual(low, { kind: 'wait', delayMs: 50, unavailable: false });
  });

  test('the reason logged is what the cluster said last', () => {
    const decision = decide(
      { kind: 'items', items: [item('retry', 429, 'first'), item('retry', 503, 'second')] },
      docs('a', 'b'),
      1,
      0,
      rule,
    );
    assert.equal(decision.why, 'second (503): second reason');
    assert.match(
      decide(wholeRequest('retry', 502, 'http_502'), docs('a'), 1, 0, rule).why,
      /^http_502 \(502\): http_502 detail/,
    );
  });
});

describe('retryRule', () => {
  test('reads the configuration: statuses, tries, give-up time, and waits from 50 ms up to the maximum', () => {
    const r = retryRule({
      elasticClientRetryStatuses: [429, 503],
      elasticClientMaxRetries: 5,
      elasticClientRetryGiveUpAfter: 120_000,
      elasticClientRetryMaxInterval: 30_000,
    });
    assert.deepEqual([...r.retryStatuses], [429, 503]);
    assert.equal(r.maxRetries, 5);
    assert.equal(r.giveUpAfterMs, 120_000);
    assert.deepEqual(r.backoff, { baseMs: 50, maxMs: 30_000 });
    // A maximum below 50 ms caps the first wait too.
    assert.deepEqual(
      retryRule({
        ...{ elasticClientRetryStatuses: [], elasticClientMaxRetries: 1, elasticClientRetryGiveUpAfter: 0 },
        elasticClientRetryMaxInterval: 20,
      }).backoff,
      { baseMs: 20, maxMs: 20 },
    );
  });
});

describe('back-pressure', () => {
  const retry = (status: number, type: string) => ({ kind: 'retry' as const, status, type, reason: '' });
  const wholeRequest = (status: number, type: string, action: 'retry' | 'split' = 'retry') => ({
    kind: 'request_failed' as const,
    action,
    status,
    type,
    detail: '',
  });

  test('429s whole or per item, rejected executions, 503 and no answer at all', () => {
    assert.equal(isBackPressure(wholeRequest(429, 'http_429')), true);
    assert.equal(isBackPressure(wholeRequest(503, 'unavailable')), true);
    assert.equal(isBackPressure(wholeRequest(0, 'unreachable')), true);
    assert.equal(isBackPressure(wholeRequest(500, 'rejected_execution_exception')), true);
    assert.equal(
      isBackPressure({
        kind: 'items',
        items: [{ kind: 'ok' }, retry(429, 'es_rejected_execution_exception')],
      }),
      true,
    );
  });

  test('not: success, documents refused for their content, a write block', () => {
    assert.equal(isBackPressure({ kind: 'all_ok' }), false);
    assert.equal(isBackPressure(wholeRequest(400, 'parse_exception', 'split')), false);
    assert.equal(isBackPressure(wholeRequest(413, 'http_413', 'split')), false);
    assert.equal(
      isBackPressure({
        kind: 'items',
        items: [
          { kind: 'failed', status: 400, type: 'mapper_parsing_exception', reason: '' },
          retry(403, 'cluster_block_exception'),
        ],
      }),
      false,
    );
  });
});
