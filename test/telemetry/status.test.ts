import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { Gauge } from 'prom-client';
import { startHttpServer } from '../../src/telemetry/http-server.js';
import { statusPage } from '../../src/telemetry/status-page.js';
import { buildStatus, statusJson, type StatusSources } from '../../src/telemetry/status.js';
import { testMetrics } from '../pipeline/fakes.js';

function sources(metrics = testMetrics()): StatusSources {
  metrics.concurrencyLimit.set(2);
  return {
    metrics,
    readiness: () => ({ ready: false, reasons: ['not yet in the consumer group'] }),
    nodes: () => [
      { node: 'http://es1:9200', alive: true },
      { node: 'http://es2:9200', alive: false },
    ],
    history: { points: () => [], windowMs: 600_000 },
    errors: { list: () => [] },
    limits: { maxBufferedBytes: 1000 },
    clock: { now: () => Date.UTC(2026, 0, 2, 3, 4, 5) },
  };
}

describe('the status model (/status.json)', () => {
  test('reads the figures /metrics has: totals, lag per partition, failures by reason, in flight, nodes', async () => {
    const metrics = testMetrics();
    metrics.consumedMessages.inc(120);
    metrics.indexedDocuments.inc(100);
    metrics.failedByReason.inc({ reason: 'mapper_parsing_exception' }, 3);
    metrics.failedByReason.inc({ reason: 'illegal_argument_exception' }, 7);
    metrics.produced.inc(10);
    metrics.consumerLag.set({ topic: 'spi-b', partition: '0' }, 4);
    metrics.consumerLag.set({ topic: 'spi-a', partition: '10' }, 2);
    metrics.consumerLag.set({ topic: 'spi-a', partition: '2' }, 1);
    metrics.inFlightRequests.set(2);
    metrics.inFlightBytes.set(500);
    metrics.bufferedBytes.set(400);
    metrics.fetchPaused.set(1);
    metrics.fetchPausedSeconds.inc({ reason: 'indexers_busy' }, 1.5);
    metrics.searchNodes.set(2);
    metrics.deadSearchNodes.set(1);

    const status = await buildStatus(sources(metrics));
    assert.equal(status.time, '2026-01-02T03:04:05.000Z');
    assert.deepEqual(status.totals, {
      consumed: 120,
      indexed: 100,
      failed: 10,
      pausedSeconds: 1.5,
      produced: 10,
      retried: 0,
    });
    assert.deepEqual(status.lag, {
      total: 7,
      partitions: [
        { labels: { topic: 'spi-a', partition: '2' }, lag: 1 },
        { labels: { topic: 'spi-a', partition: '10' }, lag: 2 },
        { labels: { topic: 'spi-b', partition: '0' }, lag: 4 },
      ],
    });
    assert.deepEqual(status.failures, [
      { reason: 'illegal_argument_exception', count: 7 },
      { reason: 'mapper_parsing_exception', count: 3 },
    ]);
    assert.deepEqual(status.inFlight, {
      requests: 2,
      instances: 2,
      bytes: 500,
      bufferedBytes: 400,
      maxBufferedBytes: 1000,
    });
    // Below MAX_BUFFERED_BYTES: what fetching waits for is a free indexer.
    assert.deepEqual(status.fetch, {
      paused: true,
      reason: 'indexers_busy',
      pausedSecondsByReason: { indexers_busy: 1.5 },
    });
    metrics.bufferedBytes.set(1000);
    assert.equal((await buildStatus(sources(metrics))).fetch.reason, 'max_buffered_bytes');
    assert.deepEqual(status.search, {
      unavailable: false,
      total: 2,
      dead: 1,
      nodes: [
        { node: 'http://es1:9200', alive: true },
        { node: 'http://es2:9200', alive: false },
      ],
    });
  });

  test('lag unknown before the first poll; partitions without a topic label are read the same way', async () => {
    assert.deepEqual((await buildStatus(sources())).lag, { total: null, partitions: [] });
    // The lag gauge as a single-topic build might label it: by partition only.
    const byPartition = new Gauge({ name: 'lag_by_partition', help: 'lag', labelNames: ['partition'] });
    byPartition.set({ partition: '1' }, 5);
    byPartition.set({ partition: '0' }, 0);
    const metrics = { ...testMetrics(), consumerLag: byPartition as never };
    assert.deepEqual((await buildStatus(sources(metrics))).lag, {
      total: 5,
      partitions: [
        { labels: { partition: '0' }, lag: 0 },
        { labels: { partition: '1' }, lag: 5 },
      ],
    });
  });

  test('the JSON blanks a secret a readiness reason quotes', async () => {
    const json = await statusJson(
      {
        ...sources(),
        readiness: () => ({ ready: false, reasons: ['search cluster refuses elastic:hunter2-secret'] }),
      },
      ['hunter2-secret'],
    )();
    assert.ok(!json.includes('hunter2'));
    assert.deepEqual((JSON.parse(json) as { ready: unknown }).ready, {
      ready: false,
      reasons: ['search cluster refuses elastic:***'],
    });
  });
});

describe('the status page over HTTP', () => {
  test('/ serves the page with a policy that forbids anything from elsewhere; /status.json the model', async (t) => {
    const metrics = testMetrics();
    const server = await startHttpServer(
      { port: 0, listenAddress: '' },
      {
        metricsPath: '/metrics',
        registry: metrics.registry,
        readiness: () => ({ ready: true, reasons: [] }),
        status: statusJson(sources(metrics), []),
      },
    );
    t.after(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'.*connect-src 'self'/);
    assert.equal(await page.text(), statusPage);

    const json = await fetch(`${base}/status.json`);
    assert.equal(json.status, 200);
    assert.equal(json.headers.get('cache-control'), 'no-store');
    assert.equal(((await json.json()) as { inFlight: { instances: number } }).inFlight.instances, 2);
  });

  test('the page names no address: every asset is inline, the data comes from this server', () => {
    assert.doesNotMatch(statusPage, /(https?:)?\/\/[a-z0-9]/i);
    assert.doesNotMatch(statusPage, /<(link|img|iframe)\b|\bsrc=/i);
    assert.match(statusPage, /fetch\("status\.json"/);
  });

  test('without a status source there is no page', async (t) => {
    const metrics = testMetrics();
    const server = await startHttpServer(
      { port: 0, listenAddress: '' },
      {
        metricsPath: '/metrics',
        registry: metrics.registry,
        readiness: () => ({ ready: true, reasons: [] }),
      },
    );
    t.after(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    assert.equal((await fetch(`${base}/`)).status, 404);
  });
});
