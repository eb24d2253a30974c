import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { createLogger } from '../../src/telemetry/logger.js';
import {
  describe as describeSummary,
  snapshot,
  startSummaryLog,
  summarize,
} from '../../src/telemetry/summary.js';

const metricsConfig = {
  metricsNamespace: 'arkime',
  metricsSubsystem: 'kafkaindexer',
  metricsFlushedBytesBuckets: [1000],
  metricsFlushedMsgsBuckets: [10],
};

describe('the summary line', () => {
  test('says what changed since the last line, per second, read from the metrics', async () => {
    const metrics = createMetrics(metricsConfig);
    metrics.indexedDocuments.inc(100);
    metrics.failedByReason.inc({ reason: 'mapper_parsing_exception' }, 4);
    metrics.flushReasons.inc({ reason: 'time_limit' }, 2);
    const before = await snapshot(metrics, 10_000);

    metrics.indexedDocuments.inc(1500);
    metrics.indexedBytes.inc(3_000_000);
    metrics.failedByReason.inc({ reason: 'mapper_parsing_exception' }, 2);
    metrics.failedByReason.inc({ reason: 'too_large' });
    metrics.retriedDocuments.inc({ reason: 'es_rejected_execution_exception' }, 7);
    metrics.flushReasons.inc({ reason: 'msg_limit' }, 15);
    metrics.fetchPausedSeconds.inc({ reason: 'indexers_busy' }, 1.25);
    metrics.fetchPausedSeconds.inc({ reason: 'max_buffered_bytes' }, 0.5);
    // What the pipeline says at the end of the interval: partition 4 waits longest.
    metrics.readBehindFrom(() => [
      { topic: 'spi', partition: 1, seconds: 3, logAppendTime: false },
      { topic: 'spi', partition: 4, seconds: 12.34, logAppendTime: false },
      { topic: 'spi', partition: 2, seconds: 0, logAppendTime: false },
    ]);
    const after = await snapshot(metrics, 40_000);

    const summary = summarize(before, after, 1234n);
    assert.deepEqual(summary, {
      seconds: 30,
      secondsBehind: 12.3,
      slowest: 'spi/4',
      documentsPerSecond: 50,
      megabytesPerSecond: 0.1,
      indexed: 1500,
      lag: 1234,
      failed: 3,
      failedByReason: { mapper_parsing_exception: 2, too_large: 1 },
      retried: 7,
      flushes: { msg_limit: 15 },
      pausedSeconds: 1.8,
    });
    assert.equal(
      describeSummary(summary),
      '12.3 s behind (spi/4), 50 docs/s, 0.1 MB/s, lag 1234, 3 failed, 7 retried, flushes msg_limit=15, paused 1.8s',
    );
  });

  test('an idle interval reads as zeros (0 s behind), and an unknown lag as unknown', async () => {
    const metrics = createMetrics(metricsConfig);
    const before = await snapshot(metrics, 0);
    const summary = summarize(before, await snapshot(metrics, 30_000), undefined);
    assert.equal(summary.lag, null);
    assert.equal(
      describeSummary(summary),
      '0 s behind, 0 docs/s, 0 MB/s, lag unknown, 0 failed, 0 retried, flushes none, paused 0s',
    );
  });

  test('records without timestamps make the seconds behind unknown, not 0', async () => {
    const metrics = createMetrics(metricsConfig);
    metrics.readBehindFrom(() => [{ topic: 'spi', partition: 0, seconds: null, logAppendTime: false }]);
    const before = await snapshot(metrics, 0);
    const summary = summarize(before, await snapshot(metrics, 30_000), 5n);
    assert.equal(summary.secondsBehind, null);
    assert.match(describeSummary(summary), /^behind unknown \(records without timestamps\), /);
  });

  test('SUMMARY_LOG_INTERVAL=0 starts no timer; another interval starts one', (t) => {
    const setInterval = t.mock.method(globalThis, 'setInterval');
    const metrics = createMetrics(metricsConfig);
    const logger = createLogger('disabled');
    startSummaryLog(metrics, () => undefined, logger, 0)();
    assert.equal(setInterval.mock.callCount(), 0);
    startSummaryLog(metrics, () => undefined, logger, 60_000)();
    assert.equal(setInterval.mock.callCount(), 1);
    assert.equal(setInterval.mock.calls[0]?.arguments[1], 60_000);
  });
});
