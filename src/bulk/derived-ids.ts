// The `_id` a document that arrives without one gets (ELASTIC_DETERMINISTIC_IDS): derived from where
// it came from, so that reading a message again after a crash overwrites its sessions instead of
// adding copies, and shaped like the ids Arkime's capture writes, so that Arkime's viewer opens it.
//
// What the viewer does with an id (viewer/db.js, 5.x and later):
//   session2Sid: an `_id` shorter than 31 characters is prefixed with the index's own suffix
//     (`3@<suffix>:<id>`); one of 31 or more is taken as it is (`3@<id>`);
//   sid2Index: the index is `sessions3-` + the text before the first ':' or, without one, before
//     the first '-'; sid2Id: the text after the first ':', or all of it.
// Capture writes `<rotation period>-<base64url of 18 bytes>` (capture/db.c): the period is the
// index's own suffix, `YYMMDD` (daily, 31 characters in all), `YYMMDDhHH` (hourly, 34), `YYwWW`
// (weekly, 30) or `YYmMM` (monthly, 30). Long ids name their index by their period; the weekly
// and monthly ones, under 31, are read with the index's suffix put in front, which names it too.
// An id of 31 or more whose text before the first '-' is not the index's period names another
// index: the session is listed but does not open ("Couldn't look up detail data").
import { hash } from 'node:crypto';
import type { SourcePosition } from '../records.js';
import { plainItem, type BulkItem, type ParsedMessage } from './items.js';

/** An `_id` for the item at `position` of the message at `source`, aimed at `index`. */
export type IdShape = (index: string | undefined, source: SourcePosition, position: number) => string;

/**
 * The rotation period an Arkime session index ends with (`<prefix>sessions3-<period>`, and
 * sessions2 for older ones; `-shrink` and `-reindex` are what the viewer finds in place of the
 * index it names), or undefined if the name is not one of those.
 */
const arkimeIndex = /sessions[23]-(\d{6}(?:h\d{2})?|\d{2}[wm]\d{2})(?:-shrink|-reindex)?$/;

export function indexPeriod(index: string | undefined): string | undefined {
  return index === undefined ? undefined : arkimeIndex.exec(index)?.[1];
}

/** 18 bytes, as capture's ids carry (2 of process id, 16 of UUID): 24 base64url characters, no padding. */
const digestChars = 24;

/**
 * `<period>-<hash>`: the hash of the topic's id, partition, offset and position. The topic's id
 * (KIP-516) is new for each life of a topic deleted and created again, so that a new life's
 * offset 0 does not overwrite the sessions of the earlier one. The topic's name is hashed too,
 * for sources whose id is not known (''): their ids then differ between topics, as before.
 *
 * An index that is not Arkime's (no period) gets the hash alone, 24 characters: under the viewer's
 * 31, it is read with the index's own suffix in front, whatever the index, and it contains no
 * ':', which would cut it. Still unique: 144 bits of SHA-256 for each document.
 */
export const arkimeId: IdShape = (index, source, position) => {
  const digest = hash(
    'sha256',
    `${source.topicId}\n${source.topic}\n${source.partition}\n${source.offset}\n${position}`,
    'base64url',
  ).slice(0, digestChars);
  const period = indexPeriod(index);
  return period === undefined ? digest : `${period}-${digest}`;
};

/**
 * `<topic>:<partition>:<offset>:<position>`, the shape given before ids took Arkime's. Only
 * replay uses it, for failure records written before the topic's id was recorded (see
 * replay/selection.ts).
 */
export const legacyId: IdShape = (_index, source, position) =>
  `${source.topic}:${source.partition}:${source.offset}:${position}`;

const newline = 0x0a;

/**
 * Gives every index/create item without an `_id` one derived from where it came from, so that a
 * replay after a crash overwrites instead of adding a copy. Only those action lines are written
 * anew; document lines are copied as they are. A message whose items all carry ids (bulk and
 * bulk1 from capture) costs one field read. `firstPosition` is the first item's place in its
 * source message: a replayed failure record holds one item of a message, and must get the id that
 * item would have had there.
 */
export function withDerivedIds(
  parsed: ParsedMessage,
  source: SourcePosition,
  firstPosition = 0,
  shape: IdShape = arkimeId,
): ParsedMessage {
  if (!parsed.needsIds) return parsed;
  const parts: Buffer[] = [];
  const items: BulkItem[] = [];
  let offset = 0;
  parsed.items.forEach((item, position) => {
    const lineEnd = parsed.body.indexOf(newline, item.start) + 1;
    let action = parsed.body.subarray(item.start, lineEnd);
    let id = item.id;
    if (id === undefined && (item.action === 'index' || item.action === 'create')) {
      id = shape(item.index, source, firstPosition + position);
      const line = JSON.parse(action.toString('utf8')) as Record<string, Record<string, unknown>>;
      line[item.action] = { ...line[item.action], _id: id };
      action = Buffer.from(`${JSON.stringify(line)}\n`);
    }
    const rest = parsed.body.subarray(lineEnd, item.end);
    parts.push(action, rest);
    items.push(plainItem(item, offset, offset + action.length + rest.length, id));
    offset += action.length + rest.length;
  });
  return { ...parsed, body: Buffer.concat(parts, offset), items, needsIds: false };
}
