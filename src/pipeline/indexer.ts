// One batch, from bulk request to done: send, classify the answer, resend what is worth
// resending (only those documents) until the cluster takes them, split a request the cluster
// refuses for its content to find the document at fault, hand failures to the failure sink,
// and only then report the batch done so its offsets can be committed.
import { itemBytes, type BulkItem, type ParsedMessage } from '../bulk/items.js';
import type { BulkReply, FailedDocument, Lease, SourcePosition } from '../records.js';
import { classifyBulkResponse, type BulkOutcome } from '../search/classify.js';
import { backoffDelay, type BackoffPolicy } from '../retry.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { realClock, type Clock } from './clock.js';
import { isBackPressure, type RequestSample } from './concurrency.js';

export interface BatchEntry {
  /** Where it came from; the consumer's messages also carry the lease they were read under (replay's records none). */
  message: SourcePosition & { readonly lease?: Lease };
  parsed: ParsedMessage;
}

export interface IndexerDeps {
  send: (body: Buffer[], signal: AbortSignal) => Promise<BulkReply>;
  /** Resolves once the failures are durable (failure topic) or recorded (log and count). */
  fail: (failures: FailedDocument[], signal: AbortSignal) => Promise<void>;
  metrics: Metrics;
  logger: Logger;
  retryStatuses: ReadonlySet<number>;
  /** Failed tries in a row after which the cluster is reported unavailable (retrying goes on). */
  maxRetries: number;
  /** Give documents up to the failure topic after retrying this long; 0: never. */
  giveUpAfterMs: number;
  backoff: BackoffPolicy;
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

interface PendingItem {
  entry: BatchEntry;
  item: BulkItem;
  /** Sent again after a mapping race (`retry_once`): a second refusal is its own. */
  resent?: true;
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
    let again: PendingItem[] = [];
    let why = '';
    if (outcome.kind === 'request_failed') {
      why = `${outcome.type} (${outcome.status}): ${outcome.detail.slice(0, 300)}`;
      if (outcome.action === 'retry') {
        again = pending;
        deps.metrics.retriedDocuments.inc({ reason: outcome.type }, pending.length);
      } else if (pending.length > 1) {
        const half = Math.ceil(pending.length / 2);
        result.splits.push(pending.slice(0, half), pending.slice(half));
      } else
        result.failures.push(
          failure(pending[0] as PendingItem, outcome.detail, outcome.type, outcome.status),
        );
    } else {
      outcome.items.forEach((item, i) => {
        const p = (pending as PendingItem[])[i] as PendingItem;
        if (item.kind === 'ok') {
          result.indexed += 1;
          result.indexedBytes += p.item.end - p.item.start;
        } else if (item.kind === 'retry' || (item.kind === 'retry_once' && p.resent === undefined)) {
          again.push(item.kind === 'retry' ? p : { ...p, resent: true });
          deps.metrics.retriedDocuments.inc({ reason: item.type });
          why = `${item.type} (${item.status}): ${item.reason}`;
        } else result.failures.push(failure(p, item.reason, item.type, item.status));
      });
    }
    if (again.length === 0) break;
    if (deps.giveUpAfterMs > 0 && now() - started >= deps.giveUpAfterMs) {
      deps.logger.error(
        { documents: again.length, tries, error: why },
        'giving documents up to the failure topic',
      );
      result.failures.push(...again.map((p) => failure(p, why, 'retries_exhausted', undefined)));
      break;
    }
    if (tries === deps.maxRetries) {
      unavailable = true;
      deps.onUnavailable(true, why);
    }
    deps.metrics.bulkRetries.inc();
    const delay = backoffDelay(deps.backoff, tries - 1);
    deps.logger.warn({ documents: again.length, try: tries, delayMs: delay, error: why }, 'retrying bulk');
    try {
      await sleep(delay, signal);
    } catch {
      return 'abandoned';
    }
    pending = again;
    count = again.length;
    body = again.map(bytesOf);
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
