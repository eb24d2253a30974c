// What decoding Kafka record batches costs, with no broker and no socket: the Kafka client's
// decoder (`readRecordsBatches`), then the same with the objects its consumer stream builds per
// record (a spread copy, a header Map and list, a BigInt offset, the message), against a walk of
// the batch in place that hands out each record's offset as a number and its value as a view.
// A measurement for the question whether our own fetch loop pays, not the indexer's code: the walk
// knows nothing of compression, control batches or truncated batches.
// Usage: node dist/bench/record-decoding.js [recordBytes=1700] [rounds=500]; it holds 1,200 records.
import { createRecordsBatch, readRecordsBatches, Reader } from '@platformatic/kafka';

const [recordBytes = 1700, rounds = 500] = process.argv.slice(2).map(Number);
const recordsPerBatch = 300;
const batches = 4; // about one 2 MiB fetch of one-document messages
const value = Buffer.alloc(recordBytes, 'x');
const response = Buffer.concat(
  Array.from(
    { length: batches },
    () =>
      createRecordsBatch(
        Array.from({ length: recordsPerBatch }, () => ({
          topic: 't',
          value,
          headers: new Map<Buffer, Buffer>(),
        })),
      ).buffer,
  ),
);
const records = recordsPerBatch * batches;

/** A zigzag varint at `at`: its value and where the next field starts. */
function varint(buffer: Buffer, at: number): [number, number] {
  let raw = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = buffer[at] as number;
    at += 1;
    raw |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return [(raw >>> 1) ^ -(raw & 1), at];
}

/** Every record of every batch in `buffer`, in place (the v2 record batch layout). */
function walk(buffer: Buffer, onRecord: (offset: number, value: Buffer) => void): void {
  let at = 0;
  while (at + 12 <= buffer.length) {
    const base = Number(buffer.readBigInt64BE(at));
    const end = at + 12 + buffer.readInt32BE(at + 8);
    const count = buffer.readInt32BE(at + 57);
    let p = at + 61;
    for (let i = 0; i < count; i += 1) {
      const [recordLength, next] = varint(buffer, p);
      const recordEnd = next + recordLength;
      let length: number;
      [, p] = varint(buffer, next + 1); // after attributes: the timestamp delta
      let delta: number;
      [delta, p] = varint(buffer, p);
      [length, p] = varint(buffer, p); // the key
      p += Math.max(0, length);
      [length, p] = varint(buffer, p);
      onRecord(base + delta, buffer.subarray(p, p + length));
      p = recordEnd;
    }
    at = end;
  }
}

// The walk must find what the client's decoder finds: every record, its offset and its value.
const walked: number[] = [];
walk(response, (offset, view) => {
  if (!view.equals(value)) throw new Error(`the value at offset ${offset} is not the one written`);
  walked.push(offset);
});
const decoded = readRecordsBatches(Reader.from(response)).flatMap((b) =>
  b.records.map((r) => Number(b.firstOffset) + r.offsetDelta),
);
if (walked.join() !== decoded.join() || walked.length !== records)
  throw new Error(`the walk found ${walked.length} records, the client's decoder ${decoded.length}`);

let seen = 0;
/** CPU seconds per 100,000 records of `decode`, over `rounds` passes over the response. */
function cpuPer100k(decode: () => void): string {
  const before = process.cpuUsage();
  for (let round = 0; round < rounds; round += 1) decode();
  const used = process.cpuUsage(before);
  return (((used.user + used.system) / 1e6 / (rounds * records)) * 1e5).toFixed(3);
}

const clientDecoder = (): void => {
  for (const batch of readRecordsBatches(Reader.from(response))) seen += batch.records.length;
};
const clientStream = (): void => {
  for (const batch of readRecordsBatches(Reader.from(response))) {
    for (const record of batch.records) {
      const copy = { ...record, topic: 't', partition: 0 };
      const headers = new Map<Buffer | null, Buffer | null>();
      const headerEntries: [Buffer | null, Buffer | null][] = [];
      for (const [key, headerValue] of record.headers) {
        headers.set(key, headerValue);
        headerEntries.push([key, headerValue]);
      }
      const message = {
        key: copy.key,
        value: copy.value,
        headers,
        headerEntries,
        topic: copy.topic,
        partition: copy.partition,
        timestamp: batch.firstTimestamp + copy.timestampDelta,
        offset: batch.firstOffset + BigInt(record.offsetDelta),
        metadata: {},
        commit: (): void => undefined,
      };
      seen += message.value === null ? 0 : 1;
    }
  }
};
const inPlace = (): void => walk(response, (offset, view) => (seen += view.length > 0 ? 1 : offset * 0));

for (let pass = 1; pass <= 3; pass += 1) {
  console.log(
    `pass ${pass}, CPU s per 100k records of ${recordBytes} bytes: client decoder ${cpuPer100k(clientDecoder)}, ` +
      `with its stream's per-record objects ${cpuPer100k(clientStream)}, walked in place ${cpuPer100k(inPlace)}`,
  );
}
if (seen === 0) throw new Error('nothing was decoded');
