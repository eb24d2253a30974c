// The search cluster's availability as reported: gauge, readiness, and one line per outage.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { availabilityReporter } from '../../src/telemetry/availability.js';
import { Readiness } from '../../src/telemetry/health.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { capturedLogger } from '../helpers/log-lines.js';

async function gauge(metrics: ReturnType<typeof createMetrics>): Promise<number | undefined> {
  return (await metrics.searchUnavailable.get()).values[0]?.value;
}

describe('availabilityReporter', () => {
  test('an outage of several batches: gauge, readiness, one line when it starts and one when it ends', async () => {
    const metrics = createMetrics({
      metricsNamespace: 'arkime',
      metricsSubsystem: 'kafkaindexer',
      metricsFlushedBytesBuckets: [1000],
      metricsFlushedMsgsBuckets: [10],
    });
    const readiness = new Readiness();
    readiness.joinedGroup();
    readiness.searchChecked(undefined);
    const { logger, lines } = capturedLogger();
    const report = availabilityReporter(metrics, readiness, logger);

    report(true, 'unreachable (0): connect ECONNREFUSED');
    assert.equal(await gauge(metrics), 1);
    assert.deepEqual(readiness.state.reasons, ['bulk requests to the search cluster keep failing']);
    // A second batch joins the outage, then the first gets through: still unavailable, no new line.
    report(true, 'es_rejected_execution_exception (429): queue full');
    report(false, '');
    assert.equal(await gauge(metrics), 1);
    assert.equal(readiness.state.ready, false);
    report(false, '');
    assert.equal(await gauge(metrics), 0);
    assert.deepEqual(readiness.state, { ready: true, reasons: [] });

    assert.deepEqual(
      lines.map((l) => [l['level'], l['msg'], l['error']]),
      [
        [
          50,
          'search cluster unavailable: retrying without end, fetching pauses when buffers fill',
          'unreachable (0): connect ECONNREFUSED',
        ],
        [30, 'search cluster available again', undefined],
      ],
    );

    // The next outage is told again.
    report(true, 'http_503 (503): ');
    assert.equal(lines.length, 3);
    assert.equal(lines[2]?.['error'], 'http_503 (503): ');
  });
});
