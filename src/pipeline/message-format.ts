// Turns one Kafka message from Arkime's kafka plugin into `_bulk` items, whatever its format:
//   bulk  – many action/document line pairs   (kafkaMsgFormat=bulk, the default)
//   bulk1 – one pair                           (kafkaMsgFormat=bulk1)
//   doc   – a document alone, carrying "index":"<target index>" (kafkaMsgFormat=doc)
// Bulk formats pass through as the very bytes received; only action lines (a few dozen bytes
// each) are parsed, because the line after an action belongs to it unless the action is a
// delete. A `doc` message is the one case that is parsed and written anew, to move its routing
// field into a generated action line.
//
// A message whose structure is wrong anywhere is refused whole, before it joins a bulk request:
// half a message in a shared request would pair its dangling action with a neighbour's lines.
import { isUtf8 } from 'node:buffer';

export type BulkAction = 'index' | 'create' | 'update' | 'delete';

export interface BulkItem {
  action: BulkAction;
  /** Offsets into the message's `body`: the action line starts at `start`, the item ends at `end` (after its '\n'). */
  start: number;
  end: number;
  /** From the action line, when it names them. */
  index: string | undefined;
  id: string | undefined;
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
  | 'too_large';

/** Elasticsearch refuses requests above 100 MB; a message this large could never be sent. */
export const maxRequestBytes = 90 * 1024 * 1024;

export interface ParsedMessage {
  format: 'bulk' | 'doc';
  /** The bytes to send: every item's lines, each ending in '\n'. */
  body: Buffer;
  items: BulkItem[];
  rejected: RejectedLines[];
}

const newline = 0x0a;
const actionStart = /^\s*\{\s*"(index|create|update|delete)"\s*:\s*\{/;

interface ActionLine {
  action: BulkAction;
  index: string | undefined;
  id: string | undefined;
}

/** Parses a line that claims to be an action; undefined when it is not a well-formed one. */
function parseAction(line: string): ActionLine | undefined {
  const claimed = actionStart.exec(line);
  if (claimed === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const keys = Object.keys(parsed);
  const action = claimed[1] as BulkAction;
  const meta = (parsed as Record<string, unknown>)[action];
  if (keys.length !== 1 || typeof meta !== 'object' || meta === null || Array.isArray(meta)) return undefined;
  const { _index: index, _id: id } = meta as Record<string, unknown>;
  return {
    action,
    index: typeof index === 'string' ? index : undefined,
    id: typeof id === 'string' || typeof id === 'number' ? String(id) : undefined,
  };
}

/** [start, end) of each non-blank line, `end` excluding the '\n'. */
function lineBounds(value: Buffer): [number, number][] {
  const lines: [number, number][] = [];
  let start = 0;
  while (start < value.length) {
    let end = value.indexOf(newline, start);
    if (end === -1) end = value.length;
    let last = end;
    if (last > start && value[last - 1] === 0x0d) last -= 1; // tolerate CRLF
    if (value.subarray(start, last).some((b) => b !== 0x20 && b !== 0x09)) lines.push([start, last]);
    start = end + 1;
  }
  return lines;
}

function parseDocMessage(value: Buffer): ParsedMessage {
  const reject = (detail: string): ParsedMessage => ({
    format: 'doc',
    body: Buffer.alloc(0),
    items: [],
    rejected: [{ bytes: value, reason: 'malformed_document', detail }],
  });
  let document: unknown;
  try {
    document = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return reject(`neither a bulk action line nor a JSON document: ${(error as Error).message}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return reject('a document must be a JSON object');
  }
  const { index, ...stored } = document as Record<string, unknown>;
  if (typeof index !== 'string' || index === '') {
    return reject('a document without an action line must name its target in a string field "index"');
  }
  const action = `{"index":{"_index":${JSON.stringify(index)}}}\n`;
  const body = Buffer.from(`${action}${JSON.stringify(stored)}\n`);
  return {
    format: 'doc',
    body,
    items: [{ action: 'index', start: 0, end: body.length, index, id: undefined }],
    rejected: [],
  };
}

function rejectWhole(value: Buffer, reason: RejectReason, detail: string): ParsedMessage {
  return { format: 'bulk', body: Buffer.alloc(0), items: [], rejected: [{ bytes: value, reason, detail }] };
}

/** Splits a Kafka message into bulk items; never throws on bad input, which ends up in `rejected`. */
export function parseMessage(input: Buffer | null | undefined): ParsedMessage {
  const value = input ?? Buffer.alloc(0);
  if (value.length > maxRequestBytes) {
    return rejectWhole(
      value,
      'too_large',
      `${value.length} bytes, above the ${maxRequestBytes}-byte request limit`,
    );
  }
  if (!isUtf8(value)) return rejectWhole(value, 'invalid_utf8', 'the message is not valid UTF-8');
  const lines = lineBounds(value);
  const first = lines[0];
  if (first === undefined) {
    return rejectWhole(
      value,
      'empty_message',
      value.length === 0 ? 'an empty message (or tombstone)' : 'only blank lines',
    );
  }
  const firstAction = parseAction(value.toString('utf8', first[0], first[1]));
  if (firstAction === undefined && lines.length === 1) return parseDocMessage(value);

  const items: BulkItem[] = [];
  for (let at = 0; at < lines.length;) {
    const [start, end] = lines[at] as [number, number];
    const parsed = at === 0 ? firstAction : parseAction(value.toString('utf8', start, end));
    if (parsed === undefined) {
      return rejectWhole(
        value,
        'malformed_action',
        `line ${at + 1} is not a bulk action line ({"index"|"create"|"update"|"delete":{…}})`,
      );
    }
    if (parsed.action === 'delete') {
      items.push({ ...parsed, start, end: end + 1 });
      at += 1;
      continue;
    }
    const document = lines[at + 1];
    if (document === undefined) {
      return rejectWhole(
        value,
        'missing_document',
        `line ${at + 1}: ${parsed.action} action without a document line`,
      );
    }
    items.push({ ...parsed, start, end: document[1] + 1 });
    at += 2;
  }
  // The message is sent as it is when its items follow each other exactly, each line ending in '\n'.
  const intact =
    value[value.length - 1] === newline &&
    items.every((item, i) => item.start === (i === 0 ? 0 : (items[i - 1] as BulkItem).end)) &&
    (items[items.length - 1] as BulkItem).end === value.length;
  if (intact) return { format: 'bulk', body: value, items, rejected: [] };
  return { format: 'bulk', ...rebuild(value, items), rejected: [] };
}

/** The slow path: copies the items' lines into a fresh body, each line ending in a single '\n'. */
function rebuild(value: Buffer, items: BulkItem[]): { body: Buffer; items: BulkItem[] } {
  const parts: Buffer[] = [];
  const rebuilt: BulkItem[] = [];
  let offset = 0;
  for (const item of items) {
    const lines = lineBounds(value.subarray(item.start, Math.min(item.end, value.length)));
    const start = offset;
    for (const [s, e] of lines) {
      parts.push(value.subarray(item.start + s, item.start + e), Buffer.from('\n'));
      offset += e - s + 1;
    }
    rebuilt.push({ ...item, start, end: offset });
  }
  return { body: Buffer.concat(parts, offset), items: rebuilt };
}

/**
 * Gives every index/create item without an `_id` one derived from where it came from
 * (`<prefix>:<position>`, the prefix naming topic, partition and offset), so that a replay after
 * a crash overwrites instead of adding a copy. Only those action lines are written anew.
 */
export function withDerivedIds(parsed: ParsedMessage, prefix: string): ParsedMessage {
  if (
    !parsed.items.some(
      (item) => item.id === undefined && (item.action === 'index' || item.action === 'create'),
    )
  ) {
    return parsed;
  }
  const parts: Buffer[] = [];
  const items: BulkItem[] = [];
  let offset = 0;
  parsed.items.forEach((item, position) => {
    const lineEnd = parsed.body.indexOf(newline, item.start) + 1;
    let action = parsed.body.subarray(item.start, lineEnd);
    let id = item.id;
    if (id === undefined && (item.action === 'index' || item.action === 'create')) {
      id = `${prefix}:${position}`;
      const line = JSON.parse(action.toString('utf8')) as Record<string, Record<string, unknown>>;
      line[item.action] = { ...line[item.action], _id: id };
      action = Buffer.from(`${JSON.stringify(line)}\n`);
    }
    const rest = parsed.body.subarray(lineEnd, item.end);
    parts.push(action, rest);
    items.push({ ...item, id, start: offset, end: offset + action.length + rest.length });
    offset += action.length + rest.length;
  });
  return { ...parsed, body: Buffer.concat(parts, offset), items };
}
