// The action line Arkime's capture writes, read byte by byte: the fast path, taken for nearly
// every document. Its item decodes index and id only when someone asks for them.
import type { BulkItem } from './items.js';

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

/** Where the strings of Arkime's action line lie; written by `arkimeAction`, read at once (no object per document). */
export const found = { indexStart: 0, indexEnd: 0, idStart: -1, idEnd: -1 };

/**
 * The action line Arkime writes, `{"index":{"_index":"…", "_id": "…"}}` (the id optional),
 * recognised byte by byte without decoding or JSON.parse: this runs for every document. On a
 * match the bounds of index and id are left in `found`; any other shape returns false and goes
 * the general way (action-line.ts).
 */
export function arkimeAction(value: Buffer, start: number, end: number): boolean {
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
export class ArkimeItem implements BulkItem {
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
