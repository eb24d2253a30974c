// What sending the documents' bytes over HTTP costs on its own: the second term of a CPU
// target (librdkafka's reading plus this). One request body of `requestBytes` is built from the
// workload before the clock starts and posted to the null sink as many times as the documents
// need, one request in flight, its answer read as the indexer reads it. CPU is counted from the
// first request on, so building the body is not in it. Arguments: url documents requestBytes.
// Prints one JSON line.
import { Pool } from 'undici';
import { Workload } from './workload.js';

const [url = '', documents = '0', requestBytes = '10485760'] = process.argv.slice(2);
const workload = new Workload(Number(documents), 'send-only');
const pairs: string[] = [];
let bytes = 0;
for (let k = 0; k < workload.documents; k += 1) {
  const pair = workload.pair(k, workload.index);
  if (bytes > 0 && bytes + pair.length > Number(requestBytes)) break;
  pairs.push(pair);
  bytes += pair.length;
}
const body = Buffer.from(pairs.join(''));
const requests = Math.ceil(workload.documents / pairs.length);
const pool = new Pool(url, { connections: 1 });
const cpuBefore = process.cpuUsage();
const started = performance.now();
let failures = 0;
for (let sent = 0; sent < requests; sent += 1) {
  const response = await pool.request({
    method: 'POST',
    path: '/_bulk',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200 || !text.startsWith('{"errors":false')) failures += 1;
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
console.log(
  JSON.stringify({
    seconds,
    failures,
    // The bytes sent, scaled to the documents: the last request is sent whole.
    cpuSeconds: ((cpu.user + cpu.system) / 1e6) * (workload.documents / (requests * pairs.length)),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  }),
);
await pool.close();
