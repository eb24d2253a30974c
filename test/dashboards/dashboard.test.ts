import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { dashboardQueries, exposedNames, metricNames } from '../helpers/dashboard.js';

describe('the Grafana dashboard', () => {
  const queries = dashboardQueries();

  test('has panels for throughput, lag (in messages and in seconds), lost offsets, latency, flush reasons, failures, backpressure and concurrency', () => {
    const all = queries.map((q) => q.expr).join('\n');
    for (const name of [
      'indexed_documents_total',
      'consumer_lag_messages',
      'consumer_lag_seconds',
      'indexing_delay_seconds_bucket',
      'offsets_skipped_total',
      'bulk_request_duration_seconds_bucket',
      'bulk_flush_reason_total',
      'documents_failed_total',
      'fetch_paused_seconds_total',
      'bulk_concurrency_limit',
      'bulk_concurrency_rtt_seconds',
      'bulk_concurrency_decreases_total',
    ]) {
      assert.ok(all.includes(`arkime_kafkaindexer_${name}`), name);
    }
  });

  test('every query names at least one metric, and every metric it names is one the indexer declares', async () => {
    const loaded = loadConfig({
      KAFKA_CONSUMER_TOPIC: 't',
      KAFKA_CONSUMER_GROUP_NAME: 'g',
      ELASTIC_SERVICE: 'es',
    });
    assert.ok(loaded.ok);
    const declared = exposedNames(await createMetrics(loaded.config).registry.metrics());
    assert.ok(queries.length >= 20, `${queries.length} queries`);
    for (const { panel, expr } of queries) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `panel "${panel}" queries no metric of the indexer: ${expr}`);
      for (const name of names) assert.ok(declared.has(name), `panel "${panel}" queries unknown ${name}`);
    }
  });
});
