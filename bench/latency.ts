// Produce → searchable latency on a steady stream: bulk1 messages produced at a fixed rate to a
// one-partition topic, read by the indexer with the settings of the end-to-end run; the server's count of
// documents is polled, and document k counts as searchable at the first poll that sees k+1.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Producer } from '@platformatic/kafka';
import { request } from 'undici';
import { createTopic } from '../stack/kafka-topics.js';
import { freePort } from '../stack/ports.js';
import { Workload } from './workload.js';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

export async function measureLatency(
  bootstrap: string,
  search: string,
  rate: number,
  log: (line: string) => void,
  settings: Record<string, string>,
  seconds = 20,
): Promise<{ rate: number; documents: number; p50Ms: number; p99Ms: number }> {
  const topic = `bench-latency-${Date.now()}`;
  await createTopic(bootstrap, topic, 1);
  const workload = new Workload(rate * seconds, 'lat', 'arkime_sessions3');
  const index = `${workload.index}`;
  const port = await freePort();
  const indexer = spawn(process.execPath, [fileURLToPath(new URL('../src/cli.js', import.meta.url))], {
    env: {
      PATH: process.env['PATH'],
      PORT: String(port),
      LOG_LEVEL: 'warn',
      KAFKA_CONSUMER_BROKERS: bootstrap,
      KAFKA_CONSUMER_TOPIC: topic,
      KAFKA_CONSUMER_GROUP_NAME: `bench-latency-${Date.now()}`,
      ELASTIC_SERVICE: search,
      ...settings,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const producer = new Producer({ clientId: 'bench-latency', bootstrapBrokers: [bootstrap], acks: 1 });
  const producedAt: number[] = [];
  const searchableAt: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const response = await request(`${search}/${index}/_count?ignore_unavailable=true`);
      const { count = 0 } = (await response.body.json()) as { count?: number };
      const now = performance.now();
      while (searchableAt.length < Math.min(count, producedAt.length)) searchableAt.push(now);
      await sleep(50);
    }
  })();
  try {
    await sleep(3000); // the indexer joins its group
    const tick = 50;
    const perTick = Math.max(1, Math.round((rate * tick) / 1000));
    const started = performance.now();
    for (let k = 0; k < workload.documents;) {
      const batch = [];
      for (let i = 0; i < perTick && k < workload.documents; i += 1, k += 1) {
        batch.push({ topic, value: Buffer.from(workload.pair(k, index)) });
      }
      await producer.send({ messages: batch });
      const now = performance.now();
      for (let i = 0; i < batch.length; i += 1) producedAt.push(now);
      const next = started + (k / rate) * 1000;
      if (next > performance.now()) await sleep(next - performance.now());
    }
    const deadline = performance.now() + 60_000;
    while (searchableAt.length < producedAt.length && performance.now() < deadline) await sleep(100);
  } finally {
    polling = false;
    await poller;
    await producer.close();
    indexer.kill('SIGTERM');
    await once(indexer, 'exit');
  }
  const latencies = searchableAt.map((t, k) => t - (producedAt[k] ?? t)).sort((a, b) => a - b);
  const result = {
    rate,
    documents: latencies.length,
    p50Ms: Math.round(percentile(latencies, 50)),
    p99Ms: Math.round(percentile(latencies, 99)),
  };
  log(
    `latency at ${rate} docs/s: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms over ${result.documents} documents`,
  );
  return result;
}
