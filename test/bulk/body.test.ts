import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { coalesce, gzipped } from '../../src/bulk/body.js';
import { createMetrics } from '../../src/telemetry/metrics.js';

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

test('gzipped: one gzip member of the parts joined, its time and bytes in and out counted', async () => {
  const metrics = createMetrics({
    metricsNamespace: 'arkime',
    metricsSubsystem: 'kafkaindexer',
    metricsFlushedBytesBuckets: [1000],
    metricsFlushedMsgsBuckets: [10],
  });
  const parts = [Buffer.from('{"index":{}}\n{"a":1}\n'.repeat(100)), Buffer.from('{"index":{}}\n{"b":2}\n')];
  const packed = await gzipped(parts, metrics);
  assert.equal(packed.length, 1);
  assert.deepEqual(gunzipSync(packed[0] as Buffer), Buffer.concat(parts));
  const bytes = (await metrics.bulkCompressBytes.get()).values;
  const stage = (name: string): number | undefined => bytes.find((v) => v.labels['stage'] === name)?.value;
  assert.equal(stage('in'), Buffer.concat(parts).length);
  assert.equal(stage('out'), packed[0]?.length);
  assert.ok((stage('out') ?? Infinity) < (stage('in') ?? 0) / 5, 'repetitive lines: well over 5x smaller');
});
