// Turns one Kafka message from Arkime's kafka plugin into `_bulk` items, whatever its format:
//   bulk  – many action/document line pairs   (kafkaMsgFormat=bulk, the default)
//   bulk1 – one pair                           (kafkaMsgFormat=bulk1)
//   doc   – a document alone, carrying "index":"<target index>" (kafkaMsgFormat=doc)
// Bulk formats pass through as the very bytes received; only action lines (a few dozen bytes
// each) are parsed, because the line after an action belongs to it unless the action is a
// delete. A `doc` message is the one case that is parsed and written anew (doc-format.ts), to
// move its routing field into a generated action line.
//
// A message whose structure is wrong anywhere is refused whole, before it joins a bulk request:
// half a message in a shared request would pair its dangling action with a neighbour's lines.
import { isUtf8 } from 'node:buffer';
import { maxRequestBytes } from '../config/limits.js';
import { generalAction } from './action-line.js';
import { ArkimeItem, arkimeAction, found } from './arkime-action.js';
import { parseDocMessage } from './doc-format.js';
import { noRejections, type BulkItem, type ParsedMessage, type RejectReason } from './items.js';
import { lineBounds, newline } from './lines.js';
import { rebuild } from './rebuild.js';

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
