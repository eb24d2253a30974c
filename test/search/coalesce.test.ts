import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coalesce } from '../../src/search/bulk-client.js';

const filled = (bytes: number, fill: number): Buffer => Buffer.alloc(bytes, fill);

test('a few parts are sent as they are', () => {
  const parts = [filled(10, 1), filled(20, 2)];
  assert.deepEqual(coalesce(parts), parts);
});

test('runs of small parts are joined into chunks of at most the chunk size, in order', () => {
  const parts = Array.from({ length: 100 }, (_, i) => filled(300, i));
  const out = coalesce(parts, 1024, 3000);
  assert.deepEqual(
    out.map((b) => b.length),
    [3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000],
  );
  assert.deepEqual(Buffer.concat(out), Buffer.concat(parts));
});

test('large parts pass through uncopied, between joined runs of small ones', () => {
  const large = [filled(5000, 7), filled(6000, 8)];
  const parts = [
    ...Array.from({ length: 10 }, (_, i) => filled(100, i)),
    large[0] as Buffer,
    ...Array.from({ length: 10 }, (_, i) => filled(100, 20 + i)),
    large[1] as Buffer,
  ];
  const out = coalesce(parts, 1024, 1 << 20);
  assert.equal(out.length, 4);
  assert.equal(out[1], large[0]); // the very same buffer: not copied
  assert.equal(out[3], large[1]);
  assert.deepEqual(Buffer.concat(out), Buffer.concat(parts));
});
