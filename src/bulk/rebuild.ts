// A body built anew from some of a message's items, each item moved to its new offsets: the
// slow paths, taken only when a message cannot be sent as the very bytes received.
import { plainItem, type BulkItem } from './items.js';
import { lineBounds } from './lines.js';

/** A body and the items that tile it. */
export interface ItemsBody {
  body: Buffer;
  items: BulkItem[];
}

/**
 * For a message whose lines do not follow each other exactly (blank lines, CRLF, no final '\n'):
 * copies the items' lines into a fresh body, each line ending in a single '\n'.
 */
export function rebuild(value: Buffer, items: BulkItem[]): ItemsBody {
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

/**
 * A body holding only `items` of `body`, which is already as sent (every line ending in one '\n'):
 * each item's bytes are copied whole, not line by line as `rebuild` does, which would read them
 * again and take a second '\r' off a line that ends in two. Items are copied with plainItem: a
 * spread would drop the index and id that an Arkime item decodes only when asked (getters).
 */
export function keepOnly(body: Buffer, items: BulkItem[]): ItemsBody {
  let offset = 0;
  const moved = items.map((item) => {
    const start = offset;
    offset += item.end - item.start;
    return plainItem(item, start, offset);
  });
  return {
    body: Buffer.concat(
      items.map((item) => body.subarray(item.start, item.end)),
      offset,
    ),
    items: moved,
  };
}
