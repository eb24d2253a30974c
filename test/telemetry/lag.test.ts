import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PartitionLag } from '../../src/records.js';
import { LagMonitor } from '../../src/telemetry/lag.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createMetrics } from '../../src/telemetry/metrics.js';

const metricsConfig = {
  metricsNamespace: 'arkime',
  metricsSubsystem: 'kafkaindexer',
  metricsFlushedBytesBuckets: [1000],
  metricsFlushedMsgsBuckets: [10],
};

describe('LagMonitor', () => {
  test('sets a gauge per assigned partition and drops partitions no longer assigned', async () => {
    const metrics = createMetrics(metricsConfig);
    let answer: PartitionLag[] = [
      { topic: 'spi', partition: 0, lag: 120n },
      { topic: 'spi', partition: 1, lag: 5n },
    ];
    const monitor = new LagMonitor(
      { lag: () => Promise.resolve(answer) },
      metrics,
      createLogger('disabled'),
      1000,
    );
    assert.equal(monitor.total, undefined, 'unknown before the first poll');
    await monitor.poll();
    assert.equal(monitor.total, 125n);
    const values = async () =>
      (await metrics.consumerLag.get()).values.map(
        (v) => `${v.labels.topic}/${v.labels.partition}=${v.value}`,
      );
    assert.deepEqual(await values(), ['spi/0=120', 'spi/1=5']);

    answer = [{ topic: 'spi', partition: 1, lag: 0n }];
    await monitor.poll();
    assert.deepEqual(await values(), ['spi/1=0']);
    assert.equal(monitor.total, 0n);
  });

  test('a failed poll keeps the last values', async () => {
    const metrics = createMetrics(metricsConfig);
    let fail = false;
    const source = {
      lag: () =>
        fail
          ? Promise.reject(new Error('broker away'))
          : Promise.resolve([{ topic: 't', partition: 0, lag: 9n }]),
    };
    const monitor = new LagMonitor(source, metrics, createLogger('disabled'), 1000);
    await monitor.poll();
    fail = true;
    await monitor.poll();
    assert.equal(monitor.total, 9n);
    assert.equal((await metrics.consumerLag.get()).values[0]?.value, 9);
  });
});
