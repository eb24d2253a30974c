// A bulk request's body as it goes on the wire: the messages' own bytes, written as they are or
// with runs of small ones joined (coalesce), or compressed with gzip when
// ELASTIC_CLIENT_COMPRESS_REQUESTS is on. The transport (search/bulk-client.ts) only sends it.
import { promisify } from 'node:util';
import { constants as zlibConstants, gzip } from 'node:zlib';

/**
 * Where gzipping counts its cost: the telemetry's counters, handed in by the transport, so that
 * this module stays free of telemetry (prom-client's counters have this shape).
 */
export interface CompressCounters {
  bulkCompressSeconds: { inc(seconds: number): void };
  bulkCompressBytes: { inc(labels: { stage: 'in' | 'out' }, bytes: number): void };
}

/**
 * Fastest gzip level: about 5x smaller Arkime bulk bodies at ~2x the speed of the default
 * level (measured in docs/search-nodes.md); the network saving is the point, not the last percent.
 */
const gzipLevel = zlibConstants.Z_BEST_SPEED;
const gzipAsync = promisify(gzip);

/**
 * Large parts (bulk-format messages, ~500 KB each) are written as they are, without a copy; runs
 * of small ones (bulk1, one document each) are joined into chunks of up to `chunk` bytes,
 * because thousands of socket writes per request cost more than one copy. Joining the large
 * ones too cost 3-5% of the indexer's CPU and a second copy of every request in flight.
 */
export function coalesce(parts: Buffer[], small = 64 * 1024, chunk = 1 << 20): Buffer[] {
  if (parts.length <= 16) return parts;
  const out: Buffer[] = [];
  let run: Buffer[] = [];
  let runBytes = 0;
  const flush = (): void => {
    if (run.length > 0) out.push(run.length === 1 ? (run[0] as Buffer) : Buffer.concat(run, runBytes));
    run = [];
    runBytes = 0;
  };
  for (const part of parts) {
    if (part.length >= small) {
      flush();
      out.push(part);
      continue;
    }
    if (runBytes + part.length > chunk) flush();
    run.push(part);
    runBytes += part.length;
  }
  flush();
  return out;
}

/** Gzip level 1 on libuv's thread pool; the time and the bytes saved are metrics, so the cost stays visible. */
export async function gzipped(parts: Buffer[], metrics: CompressCounters): Promise<Buffer[]> {
  const started = performance.now();
  const plain = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  const packed = await gzipAsync(plain, { level: gzipLevel });
  metrics.bulkCompressSeconds.inc((performance.now() - started) / 1000);
  metrics.bulkCompressBytes.inc({ stage: 'in' }, plain.length);
  metrics.bulkCompressBytes.inc({ stage: 'out' }, packed.length);
  return [packed];
}
