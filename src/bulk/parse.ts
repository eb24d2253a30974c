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
import { maxRequestBytes } from '../config/limits.js';

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
  /** Aimed at an index or using an action the allow-list does not allow (see allow-list.ts). */
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

const newline = 0x0a;
/** Shared by every message without rejections (nearly all): nothing allocated per message. */
const noRejections: readonly RejectedLines[] = Object.freeze([]);
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
  // derived-ids.ts may write the line anew. Its numbers are not checked: an _id above 2^53 is
  // common (snowflake ids), the cluster takes it, and a line with an _id is never written anew.
  if (rewriteProblem(line, false) !== undefined) return undefined;
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

/**
 * Jackson's default nesting limit, which Elasticsearch and OpenSearch parse JSON with: the cluster
 * refuses anything deeper anyway. Writing such a value anew (a `doc` message, a derived id) would
 * exhaust the stack and throw out of the pipeline, on the same message after every restart.
 */
const maxNestingDepth = 1000;

/** Where the number literal starting at `at` of valid JSON text ends: at the first other character. */
function numberEnd(json: string, at: number): number {
  let end = at + 1;
  for (; end < json.length; end += 1) {
    const c = json.charCodeAt(end);
    const digit = c >= 0x30 && c <= 0x39;
    if (!digit && c !== 0x2e && c !== 0x65 && c !== 0x45 && c !== 0x2b && c !== 0x2d) break;
  }
  return end;
}

/**
 * Why valid JSON text would not come out the same once parsed and written anew, as a `doc`
 * message and a line given a derived id are: nested too deeply to write, or (if `numbers`) a
 * number that a double cannot hold (1e400 would become null, 2^53+1 another integer). Undefined
 * if it would.
 */
function rewriteProblem(json: string, numbers: boolean): string | undefined {
  let depth = 0;
  let inString = false;
  for (let at = 0; at < json.length; at += 1) {
    const c = json.charCodeAt(at);
    if (inString) {
      if (c === 0x5c) at += 1;
      else if (c === quote) inString = false;
    } else if (c === quote) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > maxNestingDepth) return `nested deeper than ${maxNestingDepth} levels`;
    } else if (c === closeBrace || c === 0x5d) depth -= 1;
    else if (numbers && (c === 0x2d || (c >= 0x30 && c <= 0x39))) {
      const end = numberEnd(json, at);
      const literal = json.slice(at, end);
      const number = Number(literal);
      if (!Number.isFinite(number)) return `the number ${literal} is beyond the range of a double`;
      if (Number.isInteger(number) && !Number.isSafeInteger(number) && /^-?\d+$/.test(literal)) {
        return `the integer ${literal} is above 2^53 - 1, where doubles start rounding`;
      }
      at = end - 1;
    }
  }
  return undefined;
}

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

/** Where the strings of Arkime's action line lie; written by `arkimeAction`, read at once (no object per document). */
const found = { indexStart: 0, indexEnd: 0, idStart: -1, idEnd: -1 };

/**
 * The action line Arkime writes, `{"index":{"_index":"…", "_id": "…"}}` (the id optional),
 * recognised byte by byte without decoding or JSON.parse: this runs for every document. On a
 * match the bounds of index and id are left in `found`; any other shape returns false and goes
 * the general way.
 */
function arkimeAction(value: Buffer, start: number, end: number): boolean {
  const prefix = arkimeIndexAction.length;
  if (end - start < prefix + 3 || !bytesAt(value, start, arkimeIndexAction)) return false;
  const indexEnd = plainStringEnd(value, start + prefix, end);
  if (indexEnd === -1) return false;
  found.indexStart = start + prefix;
  found.indexEnd = indexEnd;
  let at = indexEnd + 1;
  if (value[at] === closeBrace && value[at + 1] === closeBrace && at + 2 === end) {
    found.idStart = -1;
    return true;
  }
  if (value[at] !== 0x2c) return false;
  at += value[at + 1] === 0x20 ? 2 : 1;
  if (!bytesAt(value, at, idKey)) return false;
  at += idKey.length;
  if (value[at] === 0x20) at += 1;
  if (value[at] !== quote) return false;
  const idEnd = plainStringEnd(value, at + 1, end);
  if (
    idEnd === -1 ||
    value[idEnd + 1] !== closeBrace ||
    value[idEnd + 2] !== closeBrace ||
    idEnd + 3 !== end
  ) {
    return false;
  }
  found.idStart = at + 1;
  found.idEnd = idEnd;
  return true;
}

/**
 * An item of Arkime's own shape: its index and id are decoded from the message only when asked
 * (by an allow-list, or for a failure record). Decoding two strings per document on the happy
 * path, where nobody reads them, cost 6-7% of the indexer's time with `bulk` messages.
 */
class ArkimeItem implements BulkItem {
  readonly action = 'index';
  constructor(
    private readonly value: Buffer,
    readonly start: number,
    readonly end: number,
    private readonly indexStart: number,
    private readonly indexEnd: number,
    private readonly idStart: number,
    private readonly idEnd: number,
  ) {}

  get index(): string {
    // toString without an encoding is UTF-8 without looking the encoding up.
    return this.value.toString(undefined, this.indexStart, this.indexEnd);
  }

  get id(): string | undefined {
    return this.idStart === -1 ? undefined : this.value.toString(undefined, this.idStart, this.idEnd);
  }
}

/** An item with its fields copied, as plain data: for the slow paths that build items anew. */
export function plainItem(item: BulkItem, start: number, end: number, id = item.id): BulkItem {
  return { action: item.action, start, end, index: item.index, id };
}

/** An action line not of Arkime's own shape, through JSON.parse. */
function generalAction(value: Buffer, start: number, end: number): ActionLine | undefined {
  return parseAction(value.toString('utf8', start, end));
}

function parseDocMessage(value: Buffer): ParsedMessage {
  const reject = (detail: string): ParsedMessage => ({
    format: 'doc',
    body: Buffer.alloc(0),
    items: [],
    rejected: [{ bytes: value, reason: 'malformed_document', detail }],
    needsIds: false,
  });
  const text = value.toString('utf8');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return reject(`neither a bulk action line nor a JSON document: ${(error as Error).message}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return reject('a document must be a JSON object');
  }
  const problem = rewriteProblem(text, true);
  if (problem !== undefined) return reject(`cannot be written anew unchanged: ${problem}`);
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
    rejected: noRejections,
    needsIds: true,
  };
}

function rejectWhole(value: Buffer, reason: RejectReason, detail: string): ParsedMessage {
  return {
    format: 'bulk',
    body: Buffer.alloc(0),
    items: [],
    rejected: [{ bytes: value, reason, detail }],
    needsIds: false,
  };
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
  const firstIsArkime = arkimeAction(value, lines[0] as number, lines[1] as number);
  const firstAction = firstIsArkime
    ? undefined
    : generalAction(value, lines[0] as number, lines[1] as number);
  if (!firstIsArkime && firstAction === undefined && lines.length === 2) return parseDocMessage(value);

  const items: BulkItem[] = [];
  // Whether the items follow each other exactly, each line ending in one '\n': then the message
  // is sent as it is, not copied.
  let intact = value[value.length - 1] === newline;
  let needsIds = false;
  for (let at = 0; at < lines.length;) {
    const start = lines[at] as number;
    const end = lines[at + 1] as number;
    const line = at / 2 + 1;
    const arkime = at === 0 ? firstIsArkime : arkimeAction(value, start, end);
    const parsed = arkime ? undefined : at === 0 ? firstAction : generalAction(value, start, end);
    if (!arkime && parsed === undefined) {
      return rejectWhole(
        value,
        'malformed_action',
        `line ${line} is not a bulk action line ({"index"|"create"|"update"|"delete":{…}})`,
      );
    }
    const previousEnd = items.length === 0 ? 0 : (items[items.length - 1] as BulkItem).end;
    // Items are built field by field: an object spread here cost more than the rest of the parse.
    if (parsed?.action === 'delete') {
      items.push({ action: parsed.action, start, end: end + 1, index: parsed.index, id: parsed.id });
      intact &&= start === previousEnd;
      at += 2;
      continue;
    }
    if (at + 2 >= lines.length) {
      return rejectWhole(
        value,
        'missing_document',
        `line ${line}: ${parsed?.action ?? 'index'} action without a document line`,
      );
    }
    const documentStart = lines[at + 2] as number;
    const documentEnd = lines[at + 3] as number;
    needsIds ||=
      parsed === undefined ? found.idStart === -1 : parsed.action !== 'update' && parsed.id === undefined;
    items.push(
      parsed === undefined
        ? new ArkimeItem(
            value,
            start,
            documentEnd + 1,
            found.indexStart,
            found.indexEnd,
            found.idStart,
            found.idEnd,
          )
        : { action: parsed.action, start, end: documentEnd + 1, index: parsed.index, id: parsed.id },
    );
    intact &&= start === previousEnd && documentStart === end + 1;
    at += 4;
  }
  intact &&= (items[items.length - 1] as BulkItem).end === value.length;
  if (intact) return { format: 'bulk', body: value, items, rejected: noRejections, needsIds };
  return { format: 'bulk', ...rebuild(value, items), rejected: noRejections, needsIds };
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
    rebuilt.push(plainItem(item, start, offset));
  }
  return { body: Buffer.concat(parts, offset), items: rebuilt };
}
