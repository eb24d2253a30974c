import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { createMetrics } from '../../src/telemetry/metrics.js';

const operations = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');

/** name → "type labels" from the table between the metrics-table markers of docs/operations.md. */
function documented(): Map<string, string> {
  const table = operations.slice(
    operations.indexOf('<!-- metrics-table:start -->'),
    operations.indexOf('<!-- metrics-table:end -->'),
  );
  const rows = new Map<string, string>();
  for (const line of table.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const name = /^`([a-z_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (name !== undefined) rows.set(name, `${cells[2]} ${(cells[3] ?? '').replaceAll('`', '')}`.trim());
  }
  return rows;
}

describe('the metrics', () => {
  test('docs/operations.md lists every metric with its type and labels, and no other', () => {
    const metrics = createMetrics({
      metricsNamespace: 'arkime',
      metricsSubsystem: 'kafkaindexer',
      metricsFlushedBytesBuckets: [1000],
      metricsFlushedMsgsBuckets: [10],
    });
    const declared = new Map(
      metrics.registry
        .getMetricsAsArray()
        .filter((m) => m.name.startsWith('arkime_kafkaindexer_'))
        .map((m) => {
          const { labelNames = [] } = m as unknown as { labelNames?: string[] };
          return [m.name.replace('arkime_kafkaindexer_', ''), `${m.type} ${labelNames.join(', ')}`.trim()];
        }),
    );
    assert.deepEqual(Object.fromEntries([...documented()].sort()), Object.fromEntries([...declared].sort()));
  });

  test('names follow METRICS_NAMESPACE and METRICS_SUBSYSTEM', async () => {
    const metrics = createMetrics({
      metricsNamespace: 'nsp',
      metricsSubsystem: '',
      metricsFlushedBytesBuckets: [1000],
      metricsFlushedMsgsBuckets: [10],
    });
    const text = await metrics.registry.metrics();
    assert.match(text, /^# TYPE nsp_consumer_lag_messages gauge$/m);
    assert.match(text, /^# TYPE nsp_bulk_request_duration_seconds histogram$/m);
    assert.doesNotMatch(text, /kafkaindexer/);
  });
});
