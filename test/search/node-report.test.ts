import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { NodePool } from '../../src/search/node-pool.js';
import { nodeReporter } from '../../src/search/node-report.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createMetrics } from '../../src/telemetry/metrics.js';

function setup() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );
  const metrics = createMetrics({
    metricsNamespace: 'aki',
    metricsSubsystem: 'test',
    metricsFlushedBytesBuckets: [1],
    metricsFlushedMsgsBuckets: [1],
  });
  const reporter = nodeReporter(logger, metrics, () => pool.counts());
  const pool = new NodePool(
    [new URL('http://10.0.0.1:9200'), new URL('http://10.0.0.2:9200')],
    reporter.report,
  );
  reporter.update();
  const gauges = async () => ({
    total: (await metrics.searchNodes.get()).values[0]?.value,
    dead: (await metrics.deadSearchNodes.get()).values[0]?.value,
  });
  return { pool, lines, gauges };
}

describe('nodeReporter', () => {
  test('each node change is one log line naming the node, and the gauges follow', async () => {
    const { pool, lines, gauges } = setup();
    assert.deepEqual(await gauges(), { total: 2, dead: 0 });
    const node = pool.pick(0);
    pool.failed(node, 0, 0);
    assert.deepEqual(await gauges(), { total: 2, dead: 1 });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.['msg'], 'search node dead: out of rotation until it is retried');
    assert.equal(lines[0]?.['node'], node.origin);
    assert.equal(lines[0]?.['level'], 40);

    pool.applyDiscovery(
      [new URL('http://10.0.0.1:9200'), new URL('http://10.0.0.2:9200'), new URL('http://10.0.0.3:9200')],
      0,
    );
    assert.deepEqual(await gauges(), { total: 3, dead: 1 });
    assert.equal(lines.at(-1)?.['msg'], 'search node added to the rotation');
    assert.equal(lines.at(-1)?.['node'], 'http://10.0.0.3:9200');

    pool.pick(60_000); // its retry time: back on trial
    assert.deepEqual(await gauges(), { total: 3, dead: 0 });
    assert.equal(lines.at(-1)?.['msg'], 'retrying dead search node');
  });
});
