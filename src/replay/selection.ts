// What a failure record says about itself (its headers, written by kafka/failure-producer.ts),
// which records a replay picks, and each picked record as a batch entry for the indexer: its
// lines as they were sent, with an `_id` derived from where the document first came from when
// it has none, so that replaying the same records again overwrites instead of adding copies.
import type { FailureTopicRecord } from '../kafka/failure-reader.js';
import { matcher } from '../pipeline/allow-list.js';
import type { BatchEntry } from '../pipeline/indexer.js';
import { parseMessage, withDerivedIds, type ParsedMessage } from '../pipeline/message-format.js';
import type { SourcePosition } from '../records.js';
import type { ReplayOptions } from './args.js';

/** A failure record as the replay sees it. */
export interface ReplayRecord {
  record: FailureTopicRecord;
  errorType: string;
  /** The index the document was meant for, when the record names one. */
  index: string | undefined;
  /** Where the document first came from: the indexer's source topic, partition and offset. */
  source: SourcePosition;
  /** The document's place in that message, when the record says. */
  position: number | undefined;
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
export function describeRecord(record: FailureTopicRecord, failureTopic: string): ReplayRecord {
  const { headers } = record;
  const topic = headers.get('aki.source.topic');
  const partition = integer(headers.get('aki.source.partition'));
  const offset = headers.get('aki.source.offset');
  const source =
    topic !== undefined && partition !== undefined && offset !== undefined && /^\d+$/.test(offset)
      ? { topic, partition, offset: BigInt(offset) }
      : { topic: failureTopic, partition: record.partition, offset: record.offset };
  return {
    record,
    errorType: headers.get('aki.error.type') ?? unknown,
    index: headers.get('aki.index'),
    source,
    position: integer(headers.get('aki.source.position')),
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

/**
 * The document's place in its source message. Records written before the indexer recorded it
 * (no `aki.source.position`) are counted in the order they are read, per source message: the
 * same range read again counts them the same way.
 */
export class SourcePositions {
  private readonly seen = new Map<string, number>();

  of(r: ReplayRecord): number {
    if (r.position !== undefined) return r.position;
    const key = `${r.source.topic}\u0000${r.source.partition}\u0000${r.source.offset}`;
    const position = this.seen.get(key) ?? 0;
    this.seen.set(key, position + 1);
    return position;
  }
}

/**
 * A record as the indexer's batch entry: its lines parsed as a message is (a failure record's
 * value is the action and document lines as sent), an `_id` derived from its source where it has
 * none, then the allow-list, as for any message.
 */
export function batchEntry(
  r: ReplayRecord,
  position: number,
  allowList: (parsed: ParsedMessage) => ParsedMessage,
): BatchEntry {
  const { topic, partition, offset } = r.source;
  const parsed = withDerivedIds(parseMessage(r.record.value), `${topic}:${partition}:${offset}`, position);
  // Its own object: failures point back to the record through it (see run.ts).
  return { message: { topic, partition, offset }, parsed: allowList(parsed) };
}
