// What a failure record says about itself (its headers, written by kafka/failures/producer.ts),
// which records a replay picks, and each picked record as a batch entry for the indexer: its
// lines as they were sent, with an `_id` derived from where the document first came from (or,
// when the record does not say, from the record's own place) when it has none, so that replaying
// the same records again overwrites instead of adding copies.
import { arkimeId, legacyId, withDerivedIds, type IdShape } from '../bulk/derived-ids.js';
import type { ParsedMessage } from '../bulk/items.js';
import { parseMessage } from '../bulk/parse.js';
import type { TopicRecord } from '../kafka/topic-reader.js';
import { matcher } from '../pipeline/allow-list.js';
import type { BatchEntry } from '../pipeline/indexer.js';
import type { SourcePosition } from '../records.js';
import type { ReplayOptions } from './args.js';

/** A failure record as the replay sees it. */
export interface ReplayRecord {
  record: TopicRecord;
  errorType: string;
  /** The index the document was meant for, when the record names one. */
  index: string | undefined;
  /** Where the document first came from: the indexer's source topic, partition and offset. */
  source: SourcePosition;
  /** The document's place in that message, when the record says. */
  position: number | undefined;
  /** The record's own place: the failure topic, its partition and offset. */
  at: SourcePosition;
}

/** Shown for records without an error type or an index: not written by this indexer. */
export const unknown = '(none)';

function integer(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/**
 * The record's headers, read. A record without source headers (not written by this indexer) is
 * its own source: its place in the failure topic is as stable as any.
 */
export function describeRecord(record: TopicRecord, failureTopic: string): ReplayRecord {
  const { headers } = record;
  const topic = headers.get('aki.source.topic');
  const partition = integer(headers.get('aki.source.partition'));
  const offset = headers.get('aki.source.offset');
  const at = { topic: failureTopic, topicId: '', partition: record.partition, offset: record.offset };
  const source =
    topic !== undefined && partition !== undefined && offset !== undefined && /^\d+$/.test(offset)
      ? { topic, topicId: headers.get('aki.source.topic-id') ?? '', partition, offset: BigInt(offset) }
      : at;
  return {
    record,
    errorType: headers.get('aki.error.type') ?? unknown,
    index: headers.get('aki.index'),
    source,
    position: integer(headers.get('aki.source.position')),
    at,
  };
}

/** Whether a record is one the options ask for. */
export function recordFilter(options: Pick<ReplayOptions, 'types' | 'indices' | 'sourceTopics'>) {
  const types = new Set(options.types);
  const sourceTopics = new Set(options.sourceTopics);
  const indexMatches = options.indices.length === 0 ? undefined : matcher(options.indices);
  return (r: ReplayRecord): boolean =>
    (types.size === 0 || types.has(r.errorType)) &&
    (sourceTopics.size === 0 || sourceTopics.has(r.source.topic)) &&
    (indexMatches === undefined || (r.index !== undefined && indexMatches(r.index)));
}

/** Where a derived `_id` comes from: a source message, a place in it, and the shape of id. */
export interface DerivedIdSource {
  source: SourcePosition;
  position: number;
  shape: IdShape;
}

/**
 * Where the `_id` of a document without one comes from. (A document the indexer gave an id to,
 * with ELASTIC_DETERMINISTIC_IDS on, carries it in its lines, and keeps it.)
 *
 * - A record that names its source topic's id (`aki.source.topic-id`): the id
 *   ELASTIC_DETERMINISTIC_IDS gives the document in its source message, `<period>-<hash>`, which
 *   the viewer opens.
 * - A record without it (older records on the failure topic lack the header):
 *   `<topic>:<partition>:<offset>:<position>`, the id every replay of such a record has given. A
 *   replay never commits, so the same records are replayed again; keeping that id makes a replay
 *   overwrite the documents an earlier replay indexed, instead of adding copies. (Such ids do not
 *   open in the viewer when they reach 31 characters, a long topic name; a copy of every such
 *   session would be worse, and these records age out of the failure topic.) The topic's id is not known for them anyway: an Arkime-shaped id
 *   would not tell a recreated topic's lives apart either.
 * - A record that does not say its place (no `aki.source.position`, or not written by this
 *   indexer): the id of its own place on the failure topic, in that same shape for the same reason.
 *   Unique, the same at every replay whatever order the partitions are read in, and nothing to
 *   remember per record or per message. (Counting such records per source message in the order
 *   read would need a map that grows with every message, and would give other ids when a
 *   message's records, spread over the partitions, are read in another order.)
 */
export function derivedIdOf(r: ReplayRecord): DerivedIdSource {
  if (r.position === undefined) return { source: r.at, position: 0, shape: legacyId };
  return { source: r.source, position: r.position, shape: r.source.topicId === '' ? legacyId : arkimeId };
}

/**
 * A record as the indexer's batch entry: its lines parsed as a message is (a failure record's
 * value is the action and document lines as sent), an `_id` derived (`derivedIdOf`) where it has
 * none, then the allow-list, as for any message.
 */
export function batchEntry(r: ReplayRecord, allowList: (parsed: ParsedMessage) => ParsedMessage): BatchEntry {
  const { source, position, shape } = derivedIdOf(r);
  const parsed = withDerivedIds(parseMessage(r.record.value), source, position, shape);
  const { topic, topicId, partition, offset } = r.source;
  // Its own object: failures point back to the record through it (see run.ts).
  return { message: { topic, topicId, partition, offset }, parsed: allowList(parsed) };
}
