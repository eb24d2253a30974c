// The search limit: the same documents bulk-loaded straight into the search server, no Kafka,
// in requests of the indexer's size, with `parallel` requests in flight.
// Arguments: url documents requestBytes parallel tag index. Prints one JSON line.
import { Pool } from 'undici';
import { Workload } from './workload.js';

const [url = '', documents = '0', requestBytes = '10485760', parallel = '2', tag = 'direct', index = ''] =
  process.argv.slice(2);
const workload = new Workload(Number(documents), tag);
const pool = new Pool(url, { connections: Number(parallel) });

function* bodies(): Generator<Buffer> {
  let parts: string[] = [];
  let bytes = 0;
  for (let k = 0; k < workload.documents; k += 1) {
    const pair = workload.pair(k, index || workload.index);
    if (bytes > 0 && bytes + pair.length > Number(requestBytes)) {
      yield Buffer.from(parts.join(''));
      parts = [];
      bytes = 0;
    }
    parts.push(pair);
    bytes += pair.length;
  }
  if (parts.length > 0) yield Buffer.from(parts.join(''));
}

const source = bodies();
let failures = 0;
async function worker(): Promise<void> {
  for (let next = source.next(); !next.done; next = source.next()) {
    const response = await pool.request({
      method: 'POST',
      path: '/_bulk?filter_path=errors',
      headers: { 'content-type': 'application/x-ndjson' },
      body: next.value,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200 || !text.startsWith('{"errors":false')) failures += 1;
  }
}
const started = performance.now();
await Promise.all(Array.from({ length: Number(parallel) }, worker));
const seconds = (performance.now() - started) / 1000;
const usage = process.resourceUsage();
console.log(
  JSON.stringify({
    seconds,
    failures,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    peakRssBytes: usage.maxRSS * 1024,
  }),
);
await pool.close();
