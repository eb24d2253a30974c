// Least privilege for messages: whoever can write to the topic can make the indexer write to the
// cluster, so only the indices of ELASTIC_ALLOWED_INDICES and the actions of ELASTIC_ALLOWED_ACTIONS
// get through. Any other item is taken out of its message before the message joins a bulk request
// (it is never sent) and goes to the failure topic as `not_allowed`, its lines as received.
//
// The index checked is the one the item is written to: its action line's `_index` (for the `doc`
// format, the document's "index" field, which becomes that `_index`). An action line without
// `_index` writes wherever the request path points — `/_bulk` names no index and the cluster
// refuses it, but a path in ELASTIC_SERVICE might (`…/some-index`), and a proxy prefix cannot be
// told apart from an index. Such an item is allowed only when every index is (`*`).
//
// Whether the settings can work at all is checked with the configuration (config/allow-list.ts).
import type { BulkItem, ParsedMessage, RejectedLines } from '../bulk/items.js';
import { keepOnly } from '../bulk/rebuild.js';
import type { AllowListConfig } from '../config/allow-list.js';
import { bulkActions } from '../records.js';

/**
 * One pattern list as one anchored expression: `*` any run of characters, everything else itself.
 * `replay --index` selects with it too, so its patterns mean what ELASTIC_ALLOWED_INDICES's do.
 */
export function matcher(patterns: readonly string[]): (index: string) => boolean {
  if (patterns.includes('*')) return () => true;
  const escape = (text: string): string => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  const alternatives = patterns.map((p) => p.split('*').map(escape).join('.*'));
  const expression = new RegExp(`^(?:${alternatives.join('|')})$`, 's');
  return (index) => expression.test(index);
}

/** Why the item may not be written, or undefined when it may. */
export type AllowCheck = (item: Pick<BulkItem, 'action' | 'index'>) => string | undefined;

export function allowCheck(config: AllowListConfig): AllowCheck | undefined {
  const actions = new Set(config.elasticAllowedActions.map((a) => a.toLowerCase()));
  const allActions = bulkActions.every((a) => actions.has(a));
  const allIndices = config.elasticAllowedIndices.includes('*');
  if (allActions && allIndices) return undefined;
  const indexAllowed = matcher(config.elasticAllowedIndices);
  return (item) => {
    if (!actions.has(item.action)) return `action "${item.action}" is not in ELASTIC_ALLOWED_ACTIONS`;
    if (allIndices) return undefined;
    if (item.index === undefined) {
      return 'the action line names no _index, and ELASTIC_ALLOWED_INDICES does not allow every index (*)';
    }
    return indexAllowed(item.index)
      ? undefined
      : `index ${JSON.stringify(item.index)} is not in ELASTIC_ALLOWED_INDICES`;
  };
}

/**
 * The filter that the pipeline applies to every parsed message: the identity when everything is
 * allowed (the default, as the Go indexer behaves); otherwise each item not allowed moves from
 * `items` to `rejected`. The body is cut anew only when something was taken out.
 */
export function allowList(config: AllowListConfig): (parsed: ParsedMessage) => ParsedMessage {
  const check = allowCheck(config);
  if (check === undefined) return (parsed) => parsed;
  return (parsed) => {
    let refused: RejectedLines[] | undefined;
    const kept: BulkItem[] = [];
    for (const item of parsed.items) {
      const why = check(item);
      if (why === undefined) kept.push(item);
      else {
        (refused ??= []).push({
          bytes: parsed.body.subarray(item.start, item.end),
          reason: 'not_allowed',
          detail: why,
        });
      }
    }
    if (refused === undefined) return parsed;
    return { ...parsed, ...keepOnly(parsed.body, kept), rejected: [...parsed.rejected, ...refused] };
  };
}
