// Kafka record batches (message format v2), walked in place. The client's decoder builds an
// object per record (and its stream a dozen more: a spread copy, a header map and list, a bound
// commit, BigInt offsets, diagnostics contexts), which cost more CPU than reading the bytes; here
// each record hands out its offset, a view of its value and its timestamp (the batch's, shared,
// plus the record's delta: no object per record), and nothing else is made. Headers and keys are
// skipped: the indexer reads only values, and timestamps for the time it is behind.
//
// What a fetch can return besides complete data batches, all handled here: a truncated batch at
// the end (the broker cuts the response at the requested size), batches starting before the
// offset asked for (a batch is returned whole), compressed batches, control batches (transaction
// markers, which take an offset but carry no message), and, under read_committed, batches of
// aborted transactions, named by the response's aborted_transactions list.
//
// Every complete batch's CRC32C is checked before it is read, as librdkafka (check.crcs) and the
// Java consumer (check.crcs=true) can: a batch damaged on a broker's disk is reported, not indexed
// as garbage or skipped. The check is native (@node-rs/crc32, hardware CRC32C, several GB/s; the
// Kafka client's WebAssembly fallback reads about a quarter as fast).
import { crc32c } from '@node-rs/crc32';
import { compressionsAlgorithmsByBitmask } from '@platformatic/kafka';

/** A producer's transaction that was aborted, and the first offset it wrote (from the fetch response). */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/** The byte offsets of a v2 batch header's fields. */
const batchHeader = {
  length: 8,
  leaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  recordCount: 57,
  records: 61,
} as const;
/** Base offset and length: what tells whether the rest of a batch is in the buffer. */
const batchPrologue = 12;

const compressionMask = 0x07;
const logAppendTimeFlag = 0x08;
const transactionalFlag = 0x10;
const controlFlag = 0x20;

const empty = Buffer.alloc(0);

export class RecordBatchError extends Error {
  override readonly name = 'RecordBatchError';
}

/**
 * When a batch's records were stamped. CreateTime (the producer's clock, Arkime's capture host):
 * a record's time is `base` plus its own delta. LogAppendTime (the topic's
 * `message.timestamp.type`): the broker's clock when it stored the batch, `base` for every record,
 * as the Java consumer reads it. `base` -1: the records carry no time.
 */
export class BatchTime {
  constructor(
    readonly base: number,
    readonly logAppendTime: boolean,
  ) {}
}

export type OnRecord = (offset: bigint, value: Buffer, time: BatchTime, timestampDelta: number) => void;

export interface Walked {
  /** The offset after the last complete batch read (where the next fetch starts), or `from`. */
  next: bigint;
  /** The leader epoch of the last batch read; -1 when none was. */
  leaderEpoch: number;
  /** A batch that cannot be read (damaged, or of an unknown kind): reading stopped before it. */
  unreadable?: { offset: bigint; reason: string };
}

/**
 * Calls `onRecord` for every record at or after `from` in `records` (the record set of one
 * partition in a fetch response), in offset order; the value is a view of `records` (or of its
 * decompressed batch), an empty Buffer for a null value. Stops at a batch that cannot be read,
 * and says where: the batches before it are handed out.
 */
export function walkRecordBatches(
  records: Buffer,
  from: bigint,
  aborted: readonly AbortedTransaction[] | null,
  onRecord: OnRecord,
): Walked {
  const walked: Walked = { next: from, leaderEpoch: -1 };
  let base = from;
  try {
    walkBatches(records, from, aborted, onRecord, walked, (at) => (base = at));
  } catch (error) {
    if (!(error instanceof RecordBatchError)) throw error;
    // Not before `from`: the first batch returned may begin before the offset asked for.
    walked.unreadable = { offset: base > from ? base : from, reason: error.message };
  }
  return walked;
}

function walkBatches(
  records: Buffer,
  from: bigint,
  aborted: readonly AbortedTransaction[] | null,
  onRecord: OnRecord,
  walked: Walked,
  reading: (base: bigint) => void,
): void {
  // Aborted transactions not yet closed by their marker: producer id → first offset.
  const open = new Map<bigint, bigint>();
  const pending = [...(aborted ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  let at = 0;
  while (at + batchPrologue <= records.length) {
    const length = records.readInt32BE(at + batchHeader.length);
    const base = records.readBigInt64BE(at);
    reading(base);
    if (length < batchHeader.records - batchPrologue) {
      throw new RecordBatchError(
        `record batch at offset ${base} declares ${length} bytes, less than its header`,
      );
    }
    const end = at + batchPrologue + length;
    if (end > records.length) break; // truncated by the response's size limit
    const magic = records.readInt8(at + batchHeader.magic);
    if (magic !== 2) {
      throw new RecordBatchError(
        `record batch at offset ${base} has message format v${magic}; only v2 (Kafka 0.11 and later) is read`,
      );
    }
    const crc = crc32c(records.subarray(at + batchHeader.attributes, end));
    if (crc !== records.readUInt32BE(at + batchHeader.crc)) {
      throw new RecordBatchError(`record batch at offset ${base} fails its CRC32C check (damaged)`);
    }
    const attributes = records.readInt16BE(at + batchHeader.attributes);
    const last = base + BigInt(records.readInt32BE(at + batchHeader.lastOffsetDelta));
    while (pending.length > 0 && (pending[0] as AbortedTransaction).firstOffset <= last) {
      const { producerId, firstOffset } = pending.shift() as AbortedTransaction;
      open.set(producerId, firstOffset);
    }
    const producerId = records.readBigInt64BE(at + batchHeader.producerId);
    if (attributes & controlFlag) {
      // A marker ends its producer's transaction; an abort marker's key has type 0.
      if (isAbortMarker(records, at)) open.delete(producerId);
    } else if (!(attributes & transactionalFlag && open.has(producerId)) && last >= from) {
      const count = records.readInt32BE(at + batchHeader.recordCount);
      const body = recordsOf(records, at, end, attributes & compressionMask, base);
      walkRecords(body, 0, count, Number(base), from, batchTime(records, at, attributes), onRecord);
    }
    if (last + 1n > walked.next) walked.next = last + 1n;
    walked.leaderEpoch = records.readInt32BE(at + batchHeader.leaderEpoch);
    at = end;
  }
}

/** The batch's time, from its header (outside the compressed records, covered by the CRC). */
function batchTime(records: Buffer, at: number, attributes: number): BatchTime {
  const logAppendTime = (attributes & logAppendTimeFlag) !== 0;
  // Two 32-bit reads, not readBigInt64BE: no BigInt per batch. Milliseconds fit a double exactly.
  const field = at + (logAppendTime ? batchHeader.maxTimestamp : batchHeader.baseTimestamp);
  const base = records.readInt32BE(field) * 2 ** 32 + records.readUInt32BE(field + 4);
  return new BatchTime(base < 0 ? -1 : base, logAppendTime);
}

/** The records of the batch at `at`: a view, or its decompressed records. */
function recordsOf(records: Buffer, at: number, end: number, compression: number, base: bigint): Buffer {
  const body = records.subarray(at + batchHeader.records, end);
  if (compression === 0) return body;
  const algorithm = compressionsAlgorithmsByBitmask[compression];
  if (algorithm === undefined) {
    throw new RecordBatchError(`record batch at offset ${base} uses unknown compression ${compression}`);
  }
  return algorithm.decompressSync(body);
}

function walkRecords(
  body: Buffer,
  at: number,
  count: number,
  base: number,
  from: bigint,
  time: BatchTime,
  onRecord: OnRecord,
): void {
  const cursor = { at };
  for (let i = 0; i < count; i += 1) {
    const length = varint(body, cursor);
    const recordEnd = cursor.at + length;
    cursor.at += 1; // attributes
    const timestampDelta = varlong(body, cursor);
    const offset = BigInt(base + varint(body, cursor));
    const keyLength = varint(body, cursor);
    if (keyLength > 0) cursor.at += keyLength;
    const valueLength = varint(body, cursor);
    const value = valueLength < 0 ? empty : body.subarray(cursor.at, cursor.at + valueLength);
    if (recordEnd > body.length || cursor.at + Math.max(0, valueLength) > recordEnd) {
      throw new RecordBatchError(`record at offset ${offset} runs past its batch`);
    }
    cursor.at = recordEnd; // headers: not read
    if (offset >= from) onRecord(offset, value, time, timestampDelta);
  }
}

function isAbortMarker(records: Buffer, at: number): boolean {
  const cursor = { at: at + batchHeader.records };
  varint(records, cursor); // record length
  cursor.at += 1;
  skipVarint(records, cursor);
  varint(records, cursor);
  const keyLength = varint(records, cursor);
  // The key: version (int16), then type (int16): 0 abort, 1 commit.
  return keyLength >= 4 && records.readInt16BE(cursor.at + 2) === 0;
}

/** A zigzag-encoded varint of at most 32 bits at `cursor`, which moves past it. */
function varint(buffer: Buffer, cursor: { at: number }): number {
  let raw = 0;
  let shift = 0;
  let byte: number;
  do {
    if (cursor.at >= buffer.length || shift > 28)
      throw new RecordBatchError('malformed varint in a record batch');
    byte = buffer[cursor.at] as number;
    cursor.at += 1;
    raw |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return (raw >>> 1) ^ -(raw & 1);
}

/**
 * A zigzag-encoded varlong at `cursor` as a number (exact up to 2^53: a timestamp delta in
 * milliseconds is far below), which moves past it.
 */
function varlong(buffer: Buffer, cursor: { at: number }): number {
  let raw = 0;
  let scale = 1;
  for (let n = 0; n < 10; n += 1) {
    if (cursor.at >= buffer.length) break;
    const byte = buffer[cursor.at] as number;
    cursor.at += 1;
    raw += (byte & 0x7f) * scale;
    if (!(byte & 0x80)) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    scale *= 128;
  }
  throw new RecordBatchError('malformed varlong in a record batch');
}

function skipVarint(buffer: Buffer, cursor: { at: number }): void {
  for (let n = 0; n < 10; n += 1) {
    if (cursor.at >= buffer.length) break;
    const byte = buffer[cursor.at] as number;
    cursor.at += 1;
    if (!(byte & 0x80)) return;
  }
  throw new RecordBatchError('malformed varlong in a record batch');
}
