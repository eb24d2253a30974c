// What parsing a message yields: bulk items, each a pair of offsets into the body to send, and
// the lines refused with the reason. Everything after the parse (allow-list, derived ids, the
// bulker, the indexer, replay) reads messages in these terms.

export type BulkAction = 'index' | 'create' | 'update' | 'delete';

export interface BulkItem {
  action: BulkAction;
  /** Offsets into the message's `body`: the action line starts at `start`, the item ends at `end` (after its '\n'). */
  start: number;
  end: number;
  /** From the action line, when it names them. */
  readonly index: string | undefined;
  readonly id: string | undefined;
}

/** A message that cannot go into a bulk request, kept as received so it can go to the failure topic. */
export interface RejectedLines {
  bytes: Buffer;
  reason: RejectReason;
  detail: string;
}

export type RejectReason =
  | 'malformed_action'
  | 'missing_document'
  | 'malformed_document'
  | 'empty_message'
  | 'invalid_utf8'
  | 'too_large'
  /** Aimed at an index or using an action the allow-list does not allow (see pipeline/allow-list.ts). */
  | 'not_allowed';

export interface ParsedMessage {
  format: 'bulk' | 'doc';
  /** The bytes to send: every item's lines, each ending in '\n'. */
  body: Buffer;
  items: BulkItem[];
  rejected: readonly RejectedLines[];
  /**
   * Whether an index or create item has no `_id`, noted while parsing: derived-ids.ts gives those
   * one, and looks at nothing else of a message whose items all carry theirs.
   */
  needsIds: boolean;
}

/** Shared by every message without rejections (nearly all): nothing allocated per message. */
export const noRejections: readonly RejectedLines[] = Object.freeze([]);

/** An item with its fields copied, as plain data: for the slow paths that build items anew. */
export function plainItem(item: BulkItem, start: number, end: number, id = item.id): BulkItem {
  return { action: item.action, start, end, index: item.index, id };
}

/** The item's lines as they are in the body sent, without a copy: to send it again, or to record it failed. */
export function itemBytes(parsed: ParsedMessage, item: BulkItem): Buffer {
  return parsed.body.subarray(item.start, item.end);
}
