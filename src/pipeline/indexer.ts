// One batch, from bulk request to done: send, classify the answer, resend what is worth
// resending (only those documents), hand failures to the failure sink, then report the batch's
// messages done so their offsets can be committed.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FailedDocument } from '../kafka/failure-producer.js';
import { classifyBulkResponse, type BulkOutcome } from '../search/classify.js';
import type { BulkReply } from '../search/bulk-client.js';
import { backoffDelay, type BackoffPolicy } from '../search/retry.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { BulkItem, ParsedMessage } from './message-format.js';

export interface SourceMessage {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface BatchEntry {
  message: SourceMessage;
  parsed: ParsedMessage;
}

export interface IndexerDeps {
  send: (body: Buffer[]) => Promise<BulkReply>;
  /** Resolves once the failures are durable (failure topic) or recorded (log and count). */
  fail: (failures: FailedDocument[]) => Promise<void>;
  metrics: Metrics;
  logger: Logger;
  retryStatuses: ReadonlySet<number>;
  maxRetries: number;
  backoff: BackoffPolicy;
}

interface PendingItem {
  entry: BatchEntry;
  item: BulkItem;
}

function bytesOf(p: PendingItem): Buffer {
  return p.entry.parsed.body.subarray(p.item.start, p.item.end);
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
  };
}

async function attempt(deps: IndexerDeps, body: Buffer[], count: number): Promise<BulkOutcome> {
  deps.metrics.bulkCalls.inc();
  try {
    const reply = await deps.send(body);
    const outcome = classifyBulkResponse(reply.status, reply.body, count, deps.retryStatuses);
    if (outcome.kind !== 'all_ok') deps.metrics.bulkErrors.inc();
    return outcome;
  } catch (error) {
    deps.metrics.bulkErrors.inc();
    return { kind: 'request_failed', retryable: true, status: 0, detail: (error as Error).message };
  }
}

/** Indexes one batch; never rejects. */
export async function indexBatch(deps: IndexerDeps, entries: BatchEntry[]): Promise<void> {
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
  let pending: PendingItem[] = entries.flatMap((entry) =>
    entry.parsed.items.map((item) => ({ entry, item })),
  );
  let body = entries.map((e) => e.parsed.body).filter((b) => b.length > 0);
  let indexed = 0;
  let indexedBytes = 0;

  for (let retry = 0; pending.length > 0; retry += 1) {
    const outcome = await attempt(deps, body, pending.length);
    let again: PendingItem[] = [];
    let lastError = '';
    if (outcome.kind === 'all_ok') {
      indexed += pending.length;
      indexedBytes += pending.reduce((sum, p) => sum + p.item.end - p.item.start, 0);
    } else if (outcome.kind === 'request_failed') {
      lastError = outcome.detail;
      if (outcome.retryable) again = pending;
      else
        failures.push(
          ...pending.map((p) => failure(p, outcome.detail, 'bulk_request_failed', outcome.status)),
        );
    } else {
      outcome.items.forEach((result, i) => {
        const p = pending[i] as PendingItem;
        if (result.kind === 'ok') {
          indexed += 1;
          indexedBytes += p.item.end - p.item.start;
        } else if (result.kind === 'retry') {
          again.push(p);
          lastError = `${result.type}: ${result.reason}`;
        } else failures.push(failure(p, result.reason, result.type, result.status));
      });
    }
    if (again.length > 0 && retry >= deps.maxRetries) {
      deps.logger.error(
        { documents: again.length, retries: retry, error: lastError },
        'giving up on documents after retries',
      );
      failures.push(...again.map((p) => failure(p, lastError, 'retries_exhausted', undefined)));
      again = [];
    }
    if (again.length > 0) {
      deps.metrics.bulkRetries.inc();
      const delay = backoffDelay(deps.backoff, retry);
      deps.logger.warn(
        { documents: again.length, retry: retry + 1, delayMs: delay, error: lastError },
        'retrying bulk',
      );
      await sleep(delay);
    }
    pending = again;
    body = again.map(bytesOf);
  }

  deps.metrics.indexedDocuments.inc(indexed);
  deps.metrics.indexedBytes.inc(indexedBytes);
  if (failures.length > 0) {
    deps.metrics.failedDocuments.inc(failures.length);
    deps.metrics.failedDocumentBytes.inc(failures.reduce((sum, f) => sum + f.bytes.length, 0));
    await deps.fail(failures);
  }
}
