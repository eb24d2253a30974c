import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { checkSearchNow, pingProblem, Readiness, watchSearch } from '../../src/telemetry/health.js';
import { startHttpServer } from '../../src/telemetry/http-server.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { capturedLogger } from '../helpers/log-lines.js';

describe('Readiness', () => {
  test('ready only once in the group and with the search cluster answering; each missing part named', () => {
    const readiness = new Readiness();
    assert.deepEqual(readiness.state, {
      ready: false,
      reasons: ['not yet in the consumer group', 'search cluster not checked yet'],
    });
    readiness.joinedGroup();
    readiness.searchChecked(undefined);
    assert.deepEqual(readiness.state, { ready: true, reasons: [] });
    readiness.bulkUnavailable(true);
    assert.deepEqual(readiness.state.reasons, ['bulk requests to the search cluster keep failing']);
    readiness.bulkUnavailable(false);
    readiness.searchChecked('search cluster unreachable: connect ECONNREFUSED');
    assert.equal(readiness.state.ready, false);
    readiness.searchChecked(undefined);
    readiness.stopped();
    assert.deepEqual(readiness.state.reasons, ['stopping']);
  });

  test('not ready while fetching from Kafka fails after the group was joined, ready again once it works', () => {
    const readiness = new Readiness();
    readiness.joinedGroup();
    readiness.searchChecked(undefined);
    readiness.kafkaUnavailable(true);
    assert.deepEqual(readiness.state, {
      ready: false,
      reasons: ['Kafka brokers do not answer; fetching again, waiting longer after each try'],
    });
    readiness.kafkaUnavailable(false);
    assert.deepEqual(readiness.state, { ready: true, reasons: [] });
  });

  test('a 401 or a 5xx is a problem; a 403 is an answer (the user may write without reading GET /)', () => {
    assert.match(pingProblem(401) ?? '', /credentials/);
    assert.match(pingProblem(503) ?? '', /503/);
    assert.equal(pingProblem(403), undefined);
    assert.equal(pingProblem(200), undefined);
  });

  test('watchSearch reports the cluster unreachable when the ping rejects', async () => {
    const readiness = new Readiness();
    readiness.joinedGroup();
    const stop = watchSearch(
      () => Promise.reject(new Error('connect ECONNREFUSED')),
      readiness,
      60_000,
      1000,
    );
    await new Promise((resolve) => setImmediate(resolve));
    stop();
    assert.deepEqual(readiness.state.reasons, ['search cluster unreachable: connect ECONNREFUSED']);
  });
});

describe('the HTTP server', () => {
  const readiness = new Readiness();
  const metrics = createMetrics({
    metricsNamespace: 'arkime',
    metricsSubsystem: 'kafkaindexer',
    metricsFlushedBytesBuckets: [1000],
    metricsFlushedMsgsBuckets: [10],
  });
  let server: Server | undefined;
  const url = async (path: string): Promise<string> => {
    server ??= await startHttpServer(
      { port: 0, listenAddress: '' },
      {
        metricsPath: '/custom-metrics',
        registry: metrics.registry,
        readiness: () => readiness.state,
      },
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  };
  after(() => server?.close());

  test('/healthz answers 200 whatever the readiness', async () => {
    const response = await fetch(await url('/healthz'));
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'ok\n');
  });

  test('/readyz answers 503 with the reasons, then 200', async () => {
    const notReady = await fetch(await url('/readyz'));
    assert.equal(notReady.status, 503);
    assert.deepEqual(((await notReady.json()) as { reasons: string[] }).reasons, [
      'not yet in the consumer group',
      'search cluster not checked yet',
    ]);
    readiness.joinedGroup();
    readiness.searchChecked(undefined);
    const ready = await fetch(await url('/readyz'));
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true, reasons: [] });
  });

  test('metrics at METRICS_PATH, 404 elsewhere', async () => {
    const response = await fetch(await url('/custom-metrics'));
    assert.equal(response.status, 200);
    assert.match(await response.text(), /^# TYPE arkime_kafkaindexer_consumer_lag_messages gauge$/m);
    assert.equal((await fetch(await url('/metrics'))).status, 404);
  });
});

describe('checkSearchNow (SIGHUP)', () => {
  test('applies the dead-node rule and logs the cluster health in one line', async () => {
    const { logger, lines } = capturedLogger();
    const asked: string[] = [];
    let nodesChecked = false;
    await checkSearchNow(
      {
        // Rediscovery takes a round trip: longer than the health request here.
        checkNodes: () =>
          new Promise((resolve) =>
            setTimeout(() => {
              nodesChecked = true;
              resolve();
            }, 20),
          ),
        get: (path) => {
          asked.push(path);
          return Promise.resolve({ status: 200, body: '{"status":"green"}' });
        },
      },
      logger,
    );
    assert.ok(nodesChecked, 'waits for the node check too');
    assert.deepEqual(asked, ['/_cluster/health']);
    assert.deepEqual(
      lines.map((l) => [l['level'], l['msg'], l['status'], l['health']]),
      [[30, 'search cluster checked', 200, '{"status":"green"}']],
    );
  });

  test('a cluster that does not answer: one error line, and the promise still resolves', async () => {
    const { logger, lines } = capturedLogger();
    await checkSearchNow(
      {
        checkNodes: () => Promise.resolve(),
        get: () => Promise.reject(new Error('search node http://es:9200 unreachable: connect ECONNREFUSED')),
      },
      logger,
    );
    assert.deepEqual(
      lines.map((l) => [l['level'], l['msg'], (l['err'] as { message?: string } | undefined)?.message]),
      [[50, 'search cluster check failed', 'search node http://es:9200 unreachable: connect ECONNREFUSED']],
    );
  });
});
