// A Kafka log segment file (`<partition dir>/<base offset>.log`) as the broker stores it: record
// batches back to back, exactly as a Fetch response carries them. The conformance suite damages
// one on disk (a failing disk, a bad copy) to see what a reader does with a batch whose CRC no
// longer matches: the broker serves the file's bytes as they are, without checking them.
import { readFileSync } from 'node:fs';

export interface SegmentBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  /** Where the batch starts in the file. */
  position: number;
  /** Bytes in the file, header included. */
  size: number;
}

/** The record batches of a segment file, in order. */
export function segmentBatches(file: string): SegmentBatch[] {
  const bytes = readFileSync(file);
  const batches: SegmentBatch[] = [];
  for (let at = 0; at + 12 <= bytes.length;) {
    const baseOffset = bytes.readBigInt64BE(at);
    const size = 12 + bytes.readInt32BE(at + 8);
    if (size <= 12 || at + size > bytes.length) break;
    const lastOffset = baseOffset + BigInt(bytes.readInt32BE(at + 23));
    batches.push({ baseOffset, lastOffset, position: at, size });
    at += size;
  }
  return batches;
}

/** A zigzag varint at `at`: its value and the position after it. */
function varint(bytes: Buffer, at: number): { value: number; next: number } {
  let raw = 0;
  let shift = 0;
  let next = at;
  for (;;) {
    const byte = bytes[next++] ?? 0;
    raw |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  return { value: (raw >>> 1) ^ -(raw & 1), next };
}

/**
 * Where the first record's value lies in an uncompressed batch: after the 61-byte batch header,
 * the record's length, attributes, timestamp delta, offset delta, key (a length, -1 for none)
 * and the value's length.
 */
export function firstValue(file: string, batch: SegmentBatch): { position: number; length: number } {
  const bytes = readFileSync(file);
  let at = batch.position + 61;
  at = varint(bytes, at).next; // record length
  at += 1; // attributes
  at = varint(bytes, at).next; // timestamp delta
  at = varint(bytes, at).next; // offset delta
  const key = varint(bytes, at);
  at = key.next + Math.max(0, key.value);
  const value = varint(bytes, at);
  return { position: value.next, length: value.value };
}
