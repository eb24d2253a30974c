// One batch, from bulk request to done: send, classify the answer (search/classify.ts), act on
// the retry decision (search/retry-decision.ts: resend, split, fail, give up), hand failures to
// the failure sink, and only then report the batch done so its offsets can be committed. This
// file decides nothing about retrying: it counts, logs and waits.
import { itemBytes, type BulkItem, type ParsedMessage } from '../bulk/items.js';
import type { BulkReply, FailedDocument, Lease, SourcePosition } from '../records.js';
import { classifyBulkResponse, type BulkOutcome } from '../search/classify.js';
import { decide, isBackPressure, type Pending, type RetryRule } from '../search/retry-decision.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { realClock, type Clock } from './clock.js';
import type { RequestSample } from './concurrency.js';

export interface BatchEntry {
  /**
   * Where it came from; the consumer's messages also carry the lease they were read under and
   * their record's time (replay's records neither).
   */
  message: SourcePosition & { readonly lease?: Lease; readonly timestamp?: number };
  parsed: ParsedMessage;
}

export type IndexerMetrics = Pick<
  Metrics,
  | 'bulkCalls'
  | 'bulkDuration'
  | 'bulkErrors'
  | 'bulkRetries'
  | 'retriedDocuments'
  | 'indexedDocuments'
  | 'indexedBytes'
  | 'failedDocuments'
  | 'failedDocumentBytes'
  | 'failedByReason'
>;

/** What the indexer needs: a way to send and to fail documents, the retry rule, and where to report. */
export interface IndexerDeps extends RetryRule {
  send: (body: Buffer[], signal: AbortSignal) => Promise<BulkReply>;
  /** Resolves once the failures are durable (failure topic) or recorded (log and count). */
  fail: (failures: FailedDocument[], signal: AbortSignal) => Promise<void>;
  metrics: IndexerMetrics;
  logger: Logger;
  /** Called with true when a batch has failed `maxRetries` tries in a row, false when one succeeds again. */
  onUnavailable: (unavailable: boolean, why: string) => void;
  /** For giving up after `giveUpAfterMs` (default `Date.now`). */
  now?: Clock['now'];
  /** Told how long each request took and whether the cluster pushed back (the concurrency limit). */
  observe?: (sample: RequestSample) => void;
  /** The wait between tries; rejects when the batch is abandoned (default: a real timer). */
  sleep?: Clock['sleep'];
}

export type BatchResult = 'done' | 'abandoned';

/** One document of a batch: the message it came in, and where in the message's body it is. */
interface PendingItem extends Pending {
  entry: BatchEntry;
  item: BulkItem;
}

interface GroupResult {
  failures: FailedDocument[];
  /** Halves to send apart, when the cluster refused the group for its content. */
  splits: PendingItem[][];
  indexed: number;
  indexedBytes: number;
}

function bytesOf(p: PendingItem): Buffer {
  return itemBytes(p.entry.parsed, p.item);
}

function bytesIn(items: PendingItem[]): number {
  return items.reduce((sum, p) => sum + p.item.end - p.item.start, 0);
}

function pendingGroup(items: PendingItem[]): Group {
  return { items: () => items, count: items.length, bytes: bytesIn(items), body: items.map(bytesOf) };
}

function failure(
  p: PendingItem,
  reason: string,
  errorType: string,
  status: number | undefined,
): FailedDocument {
  return {
    bytes: bytesOf(p),
    reason,
    errorType,
    status,
    index: p.item.index,
    id: p.item.id,
    source: p.entry.message,
    // Failures are few: finding the item's place costs nothing on the happy path.
    position: p.entry.parsed.items.indexOf(p.item),
  };
}

const durationOutcome = { all_ok: 'ok', items: 'item_errors', request_failed: 'refused' } as const;

async function attempt(
  deps: IndexerDeps,
  body: Buffer[],
  count: number,
  signal: AbortSignal,
): Promise<BulkOutcome> {
  deps.metrics.bulkCalls.inc();
  const timer = deps.metrics.bulkDuration.startTimer();
  const now = deps.now ?? realClock.now;
  const sentAt = now();
  let outcome: BulkOutcome;
  try {
    const reply = await deps.send(body, signal);
    outcome = classifyBulkResponse(reply.status, reply.body, count, deps.retryStatuses);
    timer({ outcome: durationOutcome[outcome.kind] });
    if (outcome.kind !== 'all_ok') deps.metrics.bulkErrors.inc();
  } catch (error) {
    timer({ outcome: 'unreachable' });
    deps.metrics.bulkErrors.inc();
    const detail = error instanceof Error ? error.message : String(error);
    outcome = { kind: 'request_failed', action: 'retry', status: 0, type: 'unreachable', detail };
  }
  // Abandoned on shutdown: says nothing of the cluster.
  if (!signal.aborted) {
    const bytes = body.reduce((sum, part) => sum + part.length, 0);
    deps.observe?.({ rttMs: now() - sentAt, bytes, backPressure: isBackPressure(outcome) });
  }
  return outcome;
}

/**
 * A group of documents to send: its items, and (for a batch's first request) the bytes already
 * joined. A batch's items are listed only if its first answer is not all-success: on the happy
 * path nothing per document is built or walked.
 */
interface Group {
  items: () => PendingItem[];
  count: number;
  bytes: number;
  body: Buffer[];
}

/** Sends one group of documents until each is indexed, failed for good, or the group must be split. */
async function sendGroup(
  deps: IndexerDeps,
  group: Group,
  signal: AbortSignal,
): Promise<GroupResult | 'abandoned'> {
  const result: GroupResult = { failures: [], splits: [], indexed: 0, indexedBytes: 0 };
  let pending: PendingItem[] | undefined;
  let count = group.count;
  let body = group.body;
  const { now = realClock.now, sleep = realClock.sleep } = deps;
  const started = now();
  let unavailable = false;
  for (let tries = 1; count > 0; tries += 1) {
    if (signal.aborted) return 'abandoned';
    const outcome = await attempt(deps, body, count, signal);
    if (outcome.kind === 'all_ok') {
      result.indexed += count;
      result.indexedBytes += pending === undefined ? group.bytes : bytesIn(pending);
      break;
    }
    pending ??= group.items();
    const decision = decide(outcome, pending, tries, now() - started, deps);
    result.indexed += decision.indexed.length;
    result.indexedBytes += bytesIn(decision.indexed);
    result.splits.push(...decision.split);
    for (const f of decision.failed) result.failures.push(failure(f.pending, f.reason, f.type, f.status));
    for (const { type } of decision.resend) deps.metrics.retriedDocuments.inc({ reason: type });
    const { next, why } = decision;
    if (next.kind === 'done') break;
    if (next.kind === 'give_up') {
      deps.logger.error(
        { documents: decision.resend.length, tries, error: why },
        'giving documents up to the failure topic',
      );
      break;
    }
    if (next.unavailable) {
      unavailable = true;
      deps.onUnavailable(true, why);
    }
    deps.metrics.bulkRetries.inc();
    deps.logger.warn(
      { documents: decision.resend.length, try: tries, delayMs: next.delayMs, error: why },
      'retrying bulk',
    );
    try {
      await sleep(next.delayMs, signal);
    } catch {
      return 'abandoned';
    }
    pending = decision.resend.map((r) => r.pending);
    count = pending.length;
    body = pending.map(bytesOf);
  }
  if (unavailable) deps.onUnavailable(false, '');
  return result;
}

/** Indexes one batch; never rejects. 'abandoned' (on `signal`) leaves its messages uncommitted. */
export async function indexBatch(
  deps: IndexerDeps,
  entries: BatchEntry[],
  signal: AbortSignal,
): Promise<BatchResult> {
  const failures: FailedDocument[] = entries.flatMap(({ message, parsed }) =>
    parsed.rejected.map((r) => ({
      bytes: r.bytes,
      reason: r.detail,
      errorType: r.reason,
      status: undefined,
      index: undefined,
      id: undefined,
      source: message,
    })),
  );
  // The first request is the messages' own bytes, joined; later ones (resends, halves) are cut from them.
  const groups: Group[] = [
    {
      items: () => entries.flatMap((entry) => entry.parsed.items.map((item) => ({ entry, item }))),
      count: entries.reduce((sum, e) => sum + e.parsed.items.length, 0),
      bytes: entries.reduce((sum, e) => sum + e.parsed.body.length, 0),
      body: entries.map((e) => e.parsed.body).filter((b) => b.length > 0),
    },
  ];
  let indexed = 0;
  let indexedBytes = 0;
  for (let group = groups.shift(); group !== undefined; group = groups.shift()) {
    if (group.count === 0) continue;
    const result = await sendGroup(deps, group, signal);
    if (result === 'abandoned') return 'abandoned';
    failures.push(...result.failures);
    groups.push(...result.splits.map(pendingGroup));
    indexed += result.indexed;
    indexedBytes += result.indexedBytes;
  }
  deps.metrics.indexedDocuments.inc(indexed);
  deps.metrics.indexedBytes.inc(indexedBytes);
  if (failures.length > 0) {
    deps.metrics.failedDocuments.inc(failures.length);
    deps.metrics.failedDocumentBytes.inc(failures.reduce((sum, f) => sum + f.bytes.length, 0));
    for (const f of failures) deps.metrics.failedByReason.inc({ reason: f.errorType });
    await deps.fail(failures, signal);
    if (signal.aborted) return 'abandoned';
  }
  return 'done';
}
