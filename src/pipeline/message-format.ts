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
  | 'too_large'
  /** Aimed at an index or using an action the allow-list does not allow (see allow-list.ts). */
  | 'not_allowed';

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

function isBlank(value: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at += 1) if (value[at] !== 0x20 && value[at] !== 0x09) return false;
  return true;
}

/** Start and end of each non-blank line, flat: [start0, end0, start1, end1, …], `end` before the '\n'. */
function lineBounds(value: Buffer): number[] {
  const lines: number[] = [];
  let start = 0;
  while (start < value.length) {
    let end = value.indexOf(newline, start);
    if (end === -1) end = value.length;
    let last = end;
    if (last > start && value[last - 1] === 0x0d) last -= 1; // tolerate CRLF
    if (!isBlank(value, start, last)) lines.push(start, last);
    start = end + 1;
  }
  return lines;
}

const arkimeIndexAction = Buffer.from('{"index":{"_index":"');
const idKey = Buffer.from('"_id":');
const quote = 0x22;
const closeBrace = 0x7d;

/** Whether `value` holds `expected` at `at`; a loop, because Buffer.compare costs a native call per document. */
function bytesAt(value: Buffer, at: number, expected: Buffer): boolean {
  if (at + expected.length > value.length) return false;
  for (let i = 0; i < expected.length; i += 1) if (value[at + i] !== expected[i]) return false;
  return true;
}

/** The end of a JSON string's content that starts at `at` (its closing quote), or -1 if it has escapes or ends early. */
function plainStringEnd(value: Buffer, at: number, end: number): number {
  for (let i = at; i < end; i += 1) {
    const b = value[i] as number;
    if (b === quote) return i;
    if (b === 0x5c || b < 0x20) return -1;
  }
  return -1;
}

/**
 * The action line Arkime writes, `{"index":{"_index":"…", "_id": "…"}}` (the id optional),
 * recognised byte by byte without decoding or JSON.parse: this runs for every document. Any
 * other shape returns undefined and goes the general way.
 */
function arkimeAction(value: Buffer, start: number, end: number): ActionLine | undefined {
  const prefix = arkimeIndexAction.length;
  if (end - start < prefix + 3 || !bytesAt(value, start, arkimeIndexAction)) {
    return undefined;
  }
  const indexEnd = plainStringEnd(value, start + prefix, end);
  if (indexEnd === -1) return undefined;
  // toString without an encoding is UTF-8 without looking the encoding up (a per-document cost).
  const index = value.toString(undefined, start + prefix, indexEnd);
  let at = indexEnd + 1;
  if (value[at] === closeBrace && value[at + 1] === closeBrace && at + 2 === end)
    return { action: 'index', index, id: undefined };
  if (value[at] !== 0x2c) return undefined;
  at += value[at + 1] === 0x20 ? 2 : 1;
  if (!bytesAt(value, at, idKey)) return undefined;
  at += idKey.length;
  if (value[at] === 0x20) at += 1;
  if (value[at] !== quote) return undefined;
  const idEnd = plainStringEnd(value, at + 1, end);
  if (
    idEnd === -1 ||
    value[idEnd + 1] !== closeBrace ||
    value[idEnd + 2] !== closeBrace ||
    idEnd + 3 !== end
  ) {
    return undefined;
  }
  return { action: 'index', index, id: value.toString(undefined, at + 1, idEnd) };
}

/** Any action line: Arkime's own shape quickly, everything else through JSON.parse. */
function actionAt(value: Buffer, start: number, end: number): ActionLine | undefined {
  return arkimeAction(value, start, end) ?? parseAction(value.toString('utf8', start, end));
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
  if (lines.length === 0) {
    return rejectWhole(
      value,
      'empty_message',
      value.length === 0 ? 'an empty message (or tombstone)' : 'only blank lines',
    );
  }
  const firstAction = actionAt(value, lines[0] as number, lines[1] as number);
  if (firstAction === undefined && lines.length === 2) return parseDocMessage(value);

  const items: BulkItem[] = [];
  // Whether the items follow each other exactly, each line ending in one '\n': then the message
  // is sent as it is, not copied.
  let intact = value[value.length - 1] === newline;
  for (let at = 0; at < lines.length;) {
    const start = lines[at] as number;
    const end = lines[at + 1] as number;
    const line = at / 2 + 1;
    const parsed = at === 0 ? firstAction : actionAt(value, start, end);
    if (parsed === undefined) {
      return rejectWhole(
        value,
        'malformed_action',
        `line ${line} is not a bulk action line ({"index"|"create"|"update"|"delete":{…}})`,
      );
    }
    const previousEnd = items.length === 0 ? 0 : (items[items.length - 1] as BulkItem).end;
    // Items are built field by field: an object spread here cost more than the rest of the parse.
    if (parsed.action === 'delete') {
      items.push({ action: parsed.action, start, end: end + 1, index: parsed.index, id: parsed.id });
      intact &&= start === previousEnd;
      at += 2;
      continue;
    }
    if (at + 2 >= lines.length) {
      return rejectWhole(
        value,
        'missing_document',
        `line ${line}: ${parsed.action} action without a document line`,
      );
    }
    const documentStart = lines[at + 2] as number;
    const documentEnd = lines[at + 3] as number;
    items.push({ action: parsed.action, start, end: documentEnd + 1, index: parsed.index, id: parsed.id });
    intact &&= start === previousEnd && documentStart === end + 1;
    at += 4;
  }
  intact &&= (items[items.length - 1] as BulkItem).end === value.length;
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
    for (let i = 0; i < lines.length; i += 2) {
      const [s, e] = [lines[i] as number, lines[i + 1] as number];
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
