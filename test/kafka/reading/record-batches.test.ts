import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32c } from '@node-rs/crc32';
import { createRecordsBatch } from '@platformatic/kafka';
import { walkRecordBatches } from '../../../src/kafka/reading/record-batches.js';

/** A batch changed after encoding gets its CRC32C again, as a broker would have it (bytes 21 on). */
function sealed(encoded: Buffer): Buffer {
  encoded.writeUInt32BE(crc32c(encoded.subarray(21)), 17);
  return encoded;
}

// Batches encoded by the Kafka client's producer encoder, as a broker stores and returns them.
function batch(
  baseOffset: bigint,
  values: (string | null)[],
  options: Parameters<typeof createRecordsBatch>[1] = {},
): Buffer {
  const encoded = createRecordsBatch(
    values.map((value) => ({
      topic: 't',
      key: Buffer.from('k'),
      value: value === null ? (null as unknown as Buffer) : Buffer.from(value),
      headers: new Map([[Buffer.from('h'), Buffer.from('header value')]]),
    })),
    options,
  ).buffer;
  encoded.writeBigInt64BE(baseOffset, 0); // the broker assigns the base offset
  return encoded;
}

function walk(records: Buffer, from: bigint, aborted: Parameters<typeof walkRecordBatches>[2] = null) {
  const seen: [bigint, string][] = [];
  const walked = walkRecordBatches(records, from, aborted, (offset, value) =>
    seen.push([offset, value.toString()]),
  );
  return { seen, next: walked.next, unreadable: walked.unreadable, leaderEpoch: walked.leaderEpoch };
}

/** A control batch (a transaction's end marker) of `producerId` at `offset`: abort (0) or commit (1). */
function marker(offset: bigint, producerId: bigint, type: 0 | 1): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  const encoded = createRecordsBatch([{ topic: 't', key, value: Buffer.alloc(6) }], { producerId }).buffer;
  encoded.writeBigInt64BE(offset, 0);
  encoded.writeInt16BE(encoded.readInt16BE(21) | 0x20 | 0x10, 21); // control, transactional
  return sealed(encoded);
}

function transactional(offset: bigint, producerId: bigint, values: string[]): Buffer {
  const encoded = batch(offset, values, { producerId });
  encoded.writeInt16BE(encoded.readInt16BE(21) | 0x10, 21);
  return sealed(encoded);
}

describe('walkRecordBatches', () => {
  it('hands out every record with its offset and value, and the offset after the last batch', () => {
    const records = Buffer.concat([batch(10n, ['a', 'bb']), batch(12n, ['ccc'])]);
    const { seen, next } = walk(records, 10n);
    assert.deepEqual(seen, [
      [10n, 'a'],
      [11n, 'bb'],
      [12n, 'ccc'],
    ]);
    assert.equal(next, 13n);
  });

  it('hands out views of the response, not copies', () => {
    const records = batch(0n, ['value']);
    let view: Buffer | undefined;
    walkRecordBatches(records, 0n, null, (_offset, value) => (view = value));
    assert.equal(view?.buffer, records.buffer);
  });

  it('skips records before the offset asked for (a batch comes whole)', () => {
    const { seen, next } = walk(batch(5n, ['a', 'b', 'c']), 6n);
    assert.deepEqual(
      seen.map(([offset]) => offset),
      [6n, 7n],
    );
    assert.equal(next, 8n);
  });

  it('stops before a batch the response cut short, and fetches it again from its start', () => {
    const whole = Buffer.concat([batch(0n, ['a']), batch(1n, ['b', 'c'])]);
    const { seen, next } = walk(whole.subarray(0, whole.length - 3), 0n);
    assert.deepEqual(seen, [[0n, 'a']]);
    assert.equal(next, 1n);
    assert.equal(walk(Buffer.alloc(0), 7n).next, 7n);
  });

  it('reads compressed batches', () => {
    for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const { seen } = walk(batch(3n, ['x'.repeat(500), 'y'], { compression }), 0n);
      assert.deepEqual(
        seen.map(([offset, value]) => [offset, value.length]),
        [
          [3n, 500],
          [4n, 1],
        ],
        compression,
      );
    }
  });

  it('hands a null value out as an empty one (the pipeline refuses it with its reason)', () => {
    assert.deepEqual(walk(batch(0n, [null, 'a']), 0n).seen, [
      [0n, ''],
      [1n, 'a'],
    ]);
  });

  it('passes over transaction markers, and over aborted transactions under read_committed', () => {
    const records = Buffer.concat([
      transactional(0n, 7n, ['aborted 1', 'aborted 2']),
      batch(2n, ['plain']),
      marker(3n, 7n, 0),
      transactional(4n, 7n, ['committed']),
      marker(5n, 7n, 1),
    ]);
    const { seen, next } = walk(records, 0n, [{ producerId: 7n, firstOffset: 0n }]);
    assert.deepEqual(seen, [
      [2n, 'plain'],
      [4n, 'committed'],
    ]);
    assert.equal(next, 6n);
    // Without the aborted list (read_uncommitted) every data record counts.
    assert.equal(walk(records, 0n).seen.length, 4);
  });

  it('refuses a batch whose length is shorter than its header (it would never move on)', () => {
    const broken = Buffer.concat([batch(0n, ['a']), batch(1n, ['b'])]);
    broken.writeInt32BE(-12, batch(0n, ['a']).length + 8);
    const { seen, next, unreadable } = walk(broken, 0n);
    assert.deepEqual(seen, [[0n, 'a']], 'the batch before it is read');
    assert.equal(next, 1n);
    assert.equal(unreadable?.offset, 1n);
    assert.match(unreadable?.reason ?? '', /declares -12 bytes/);
  });

  it('refuses a batch of an old message format, and a record that runs past its batch', () => {
    const old = batch(0n, ['a']);
    old.writeInt8(1, 16);
    assert.match(walk(old, 0n).unreadable?.reason ?? '', /message format v1/);
    const broken = batch(0n, ['abc']);
    broken.writeInt8(0x7e, 61); // the first record's length: far past the batch
    assert.match(walk(sealed(broken), 0n).unreadable?.reason ?? '', /runs past its batch/);
  });

  it('refuses a batch that fails its CRC32C, saying where, after handing out the batches before it', () => {
    const first = batch(10n, ['a', 'b']);
    const damaged = batch(12n, ['c', 'd']);
    damaged.writeUInt8((damaged.at(-3) as number) ^ 0x01, damaged.length - 3); // one bit, in a value
    const { seen, next, unreadable } = walk(Buffer.concat([first, damaged]), 11n);
    assert.deepEqual(seen, [[11n, 'b']]);
    assert.equal(next, 12n, 'the next fetch asks for the damaged batch again');
    assert.deepEqual(unreadable, {
      offset: 12n,
      reason: 'record batch at offset 12 fails its CRC32C check (damaged)',
    });
    // Damaged in the batch that holds the offset asked for: where reading stands, not before it.
    assert.equal(walk(damaged, 13n).unreadable?.offset, 13n);
  });

  it("tells the leader epoch of the last batch read (KIP-320's last fetched epoch)", () => {
    const epoch5 = batch(0n, ['a']);
    epoch5.writeInt32BE(5, 12); // outside the CRC's bytes, as the broker stamps it
    const epoch7 = batch(1n, ['b']);
    epoch7.writeInt32BE(7, 12);
    assert.equal(walk(Buffer.concat([epoch5, epoch7]), 0n).leaderEpoch, 7);
    assert.equal(walk(Buffer.alloc(0), 0n).leaderEpoch, -1);
  });
});

describe('record timestamps', () => {
  /** Each record's time as the walk hands it out (what FetchedMessage reads: base, or base + delta). */
  function times(records: Buffer): { time: number; logAppendTime: boolean }[] {
    const seen: { time: number; logAppendTime: boolean }[] = [];
    walkRecordBatches(records, 0n, null, (_offset, _value, time, delta) =>
      seen.push({
        time: time.base < 0 || time.logAppendTime ? time.base : time.base + delta,
        logAppendTime: time.logAppendTime,
      }),
    );
    return seen;
  }
  const stamped = (timestamps: number[]): Buffer => {
    const encoded = createRecordsBatch(
      timestamps.map((t) => ({ topic: 't', value: Buffer.from('v'), timestamp: BigInt(t) })),
    ).buffer;
    encoded.writeBigInt64BE(0n, 0);
    return encoded;
  };
  const capture = Date.parse('2026-12-07T10:00:00.000Z');

  it('CreateTime: each record its producer’s time, the batch’s first plus its own delta', () => {
    const at = [capture, capture + 5, capture + 61_000, capture - 3];
    assert.deepEqual(
      times(stamped(at)).map((t) => t.time),
      at,
    );
    assert.equal(
      times(stamped(at)).every((t) => !t.logAppendTime),
      true,
    );
  });

  it('LogAppendTime: every record the broker’s time (the batch’s max timestamp), whatever the deltas', () => {
    const encoded = stamped([capture, capture + 5]);
    const broker = capture + 120_000;
    encoded.writeInt16BE(encoded.readInt16BE(21) | 0x08, 21);
    encoded.writeBigInt64BE(BigInt(broker), 35);
    assert.deepEqual(times(sealed(encoded)), [
      { time: broker, logAppendTime: true },
      { time: broker, logAppendTime: true },
    ]);
  });

  it('a batch without time (-1) gives -1 for every record, never a time near 1970', () => {
    const encoded = stamped([capture, capture]);
    encoded.writeBigInt64BE(-1n, 27);
    assert.deepEqual(
      times(sealed(encoded)).map((t) => t.time),
      [-1, -1],
    );
  });

  it('times of a compressed batch are read from its header and its records alike', () => {
    const at = [capture, capture + 250];
    const encoded = createRecordsBatch(
      at.map((t) => ({ topic: 't', value: Buffer.from('v'), timestamp: BigInt(t) })),
      { compression: 'gzip' },
    ).buffer;
    assert.deepEqual(
      times(encoded).map((t) => t.time),
      at,
    );
  });
});
