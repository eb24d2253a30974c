// What a `_bulk` response means for each document sent: indexed, worth sending again, or failed
// for good. One pure function, tested on responses captured from Elasticsearch and OpenSearch.

export interface ItemError {
  status: number;
  type: string;
  reason: string;
}

export type ItemOutcome = { kind: 'ok' } | ({ kind: 'retry' } & ItemError) | ({ kind: 'failed' } & ItemError);

export type BulkOutcome =
  | { kind: 'all_ok' }
  | { kind: 'items'; items: ItemOutcome[] }
  /** The request as a whole was refused; `retryable` when its status is one to retry. */
  | { kind: 'request_failed'; retryable: boolean; status: number; detail: string };

interface ResponseItem {
  status?: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } };
}

const allOk = '{"errors":false';

function describeError(status: number, error: ResponseItem['error']): ItemError {
  const cause = error?.caused_by;
  const reason = [error?.reason, cause?.reason && `(caused by ${cause.type ?? 'error'}: ${cause.reason})`]
    .filter(Boolean)
    .join(' ');
  return { status, type: error?.type ?? `http_${status}`, reason: reason || `status ${status}` };
}

/**
 * Classifies a `_bulk` answer. A 200 that starts with {"errors":false is accepted without
 * parsing the items (the happy path stays cheap); otherwise each item is looked at in order.
 */
export function classifyBulkResponse(
  status: number,
  body: string,
  itemCount: number,
  retryStatuses: ReadonlySet<number>,
): BulkOutcome {
  if (status < 200 || status >= 300) {
    return {
      kind: 'request_failed',
      retryable: retryStatuses.has(status),
      status,
      detail: body.slice(0, 1000),
    };
  }
  if (body.startsWith(allOk)) return { kind: 'all_ok' };
  let parsed: { errors?: boolean; items?: Record<string, ResponseItem>[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return {
      kind: 'request_failed',
      retryable: false,
      status,
      detail: `unreadable response: ${body.slice(0, 200)}`,
    };
  }
  if (parsed.errors === false) return { kind: 'all_ok' };
  const items = parsed.items ?? [];
  if (items.length !== itemCount) {
    return {
      kind: 'request_failed',
      retryable: false,
      status,
      detail: `the response has ${items.length} items for ${itemCount} sent`,
    };
  }
  return {
    kind: 'items',
    items: items.map((entry): ItemOutcome => {
      const [action, item] = Object.entries(entry)[0] ?? ['', {}];
      const itemStatus = item.status ?? 0;
      if (itemStatus >= 200 && itemStatus < 300) return { kind: 'ok' };
      // Deleting what is not there (no document, or no index at all) leaves things as asked.
      if (action === 'delete' && itemStatus === 404) return { kind: 'ok' };
      const error = describeError(itemStatus, item.error);
      return retryStatuses.has(itemStatus) ? { kind: 'retry', ...error } : { kind: 'failed', ...error };
    }),
  };
}
