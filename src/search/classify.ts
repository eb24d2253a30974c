// What a `_bulk` response means for each document sent: indexed, worth sending again, or failed
// for good. One pure function, tested on responses captured from Elasticsearch and OpenSearch.
//
// The rule: only a refusal that is about the document itself (a mapping error, a bad id, a
// version conflict) is a failure. Anything about the cluster's state (overload, a write block,
// a shard not yet allocated, a timeout, a server error) is waited out, never dead-lettered.

export interface ItemError {
  status: number;
  type: string;
  reason: string;
}

/**
 * `retry`: the cluster's state, send again until taken. `retry_once`: the document met a mapping
 * change made at the same moment by another request; sent once more, it is parsed against the
 * mapping that won, and is indexed or refused for a reason of its own.
 */
export type ItemOutcome =
  { kind: 'ok' } | ({ kind: 'retry' | 'retry_once' } & ItemError) | ({ kind: 'failed' } & ItemError);

export type BulkOutcome =
  | { kind: 'all_ok' }
  | { kind: 'items'; items: ItemOutcome[] }
  /**
   * The request as a whole was refused. `retry`: the cluster's state, wait and send again.
   * `split`: the content (400, 413), send the halves apart to find the document at fault.
   */
  | { kind: 'request_failed'; action: 'retry' | 'split'; status: number; type: string; detail: string };

interface ResponseItem {
  status?: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } };
}

const allOk = '{"errors":false';

/** Error types that say the cluster is busy or blocked, whatever status carries them. */
const transientTypes = new Set([
  'es_rejected_execution_exception',
  'rejected_execution_exception',
  'cluster_block_exception',
  'circuit_breaking_exception',
  'unavailable_shards_exception',
  'process_cluster_event_timeout_exception',
  'no_shard_available_action_exception',
  'timeout_exception',
]);

/**
 * Two requests that bring a new field at once, each with a value of another type (Arkime writes
 * `dstTTL` as numbers or as strings), race to add it to the mapping. Elasticsearch 7 and
 * OpenSearch 1, 2 and 3 refuse the loser with 400 illegal_argument_exception "mapper [dstTTL] cannot
 * be changed from type [long] to [keyword]" (Elasticsearch 6: "of different type"), where
 * Elasticsearch 8 and 9 parse it again (docs/security.md). Only the reason's text tells this apart from a
 * lasting refusal of the same type, such as the total fields limit, hence the match.
 */
const mappingRace = /^mapper \[[^\]]+\] (cannot be changed from type|of different type)/;

function racedMapping(error: ItemError): boolean {
  return (
    error.status === 400 && error.type === 'illegal_argument_exception' && mappingRace.test(error.reason)
  );
}

export function isTransient(status: number, type: string, retryStatuses: ReadonlySet<number>): boolean {
  return retryStatuses.has(status) || status === 429 || status >= 500 || transientTypes.has(type);
}

function describeError(status: number, error: ResponseItem['error']): ItemError {
  const cause = error?.caused_by;
  const reason = [error?.reason, cause?.reason && `(caused by ${cause.type ?? 'error'}: ${cause.reason})`]
    .filter(Boolean)
    .join(' ');
  return { status, type: error?.type ?? `http_${status}`, reason: reason || `status ${status}` };
}

function errorType(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { type?: string } | string };
    return typeof parsed.error === 'object' ? (parsed.error.type ?? '') : '';
  } catch {
    return '';
  }
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
    const type = errorType(body) || `http_${status}`;
    // 400 and 413 are about what was sent; every other refusal (401/403 included: credentials
    // or a block are fixed on the cluster's side) is waited out.
    const split = (status === 400 || status === 413) && !transientTypes.has(type);
    return {
      kind: 'request_failed',
      action: split ? 'split' : 'retry',
      status,
      type,
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
      action: 'retry',
      status,
      type: 'unreadable_response',
      detail: body.slice(0, 200),
    };
  }
  if (parsed.errors === false) return { kind: 'all_ok' };
  const items = parsed.items ?? [];
  if (items.length !== itemCount) {
    return {
      kind: 'request_failed',
      action: 'retry',
      status,
      type: 'item_count_mismatch',
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
      if (isTransient(itemStatus, error.type, retryStatuses)) return { kind: 'retry', ...error };
      return { kind: racedMapping(error) ? 'retry_once' : 'failed', ...error };
    }),
  };
}
