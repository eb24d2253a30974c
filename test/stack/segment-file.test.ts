import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRecordsBatch } from '@platformatic/kafka';
import { firstValue, segmentBatches } from '../../stack/segment-file.js';

// Batches encoded by the Kafka client's producer encoder, as the broker appends them to a segment.
function batch(baseOffset: bigint, values: string[], key?: Buffer): Buffer {
  const encoded = createRecordsBatch(
    values.map((value) => ({ topic: 't', value: Buffer.from(value), ...(key !== undefined && { key }) })),
  ).buffer;
  encoded.writeBigInt64BE(baseOffset, 0); // the broker assigns the base offset
  return encoded;
}

test("a segment file's batches are found with their offsets, and a batch's first value located", () => {
  const first = batch(0n, ['{"a":1}', '{"b":2}', '{"c":3}']);
  const second = batch(3n, ['x'.repeat(300), 'y'], Buffer.from('a key of some length'));
  const file = join(mkdtempSync(join(tmpdir(), 'aki-segment-')), '00000000000000000000.log');
  writeFileSync(file, Buffer.concat([first, second]));

  const batches = segmentBatches(file);
  assert.deepEqual(batches, [
    { baseOffset: 0n, lastOffset: 2n, position: 0, size: first.length },
    { baseOffset: 3n, lastOffset: 4n, position: first.length, size: second.length },
  ]);
  const bytes = Buffer.concat([first, second]);
  const at = (b: number): string => {
    const { position, length } = firstValue(file, batches[b] as (typeof batches)[number]);
    return bytes.toString('utf8', position, position + length);
  };
  assert.equal(at(0), '{"a":1}');
  // A key before the value, and a value length above 63: a varint of two bytes.
  assert.equal(at(1), 'x'.repeat(300));
});
