import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { kafkaLimit, markdown, type BenchRun } from '../../bench/report.js';
import type { Measurement } from '../../bench/scenarios.js';

const row = (scenario: string, docsPerSecond: number, format = 'bulk1'): Measurement => ({
  scenario,
  format,
  documents: 1000,
  bytes: 1_000_000,
  seconds: 1000 / docsPerSecond,
  docsPerSecond,
  mbPerSecond: 1,
  cpuSecondsPer100k: 1,
  peakRssMiB: 100,
});

const run = (results: Measurement[]): BenchRun => ({
  date: '2026-12-06T00:00:00.000Z',
  machine: { cpu: 'cpu', cores: 2, memoryGiB: 8, node: 'v22', search: 'none', kafka: '4' },
  documents: 1000,
  repeats: 1,
  settings: {},
  results,
});

describe('the Kafka limit of the ratios', () => {
  test('is the faster of our client and librdkafka, whichever it is', () => {
    const ours = row('kafka-limit', 200_000);
    const native = row('kafka-limit-librdkafka', 600_000);
    assert.equal(kafkaLimit(run([ours, native]), 'bulk1'), native);
    const slowNative = row('kafka-limit-librdkafka', 100_000);
    assert.equal(kafkaLimit(run([ours, slowNative]), 'bulk1'), ours);
    assert.equal(kafkaLimit(run([ours]), 'bulk1'), ours);
    assert.equal(kafkaLimit(run([ours, native]), 'bulk'), undefined);
  });

  test('the null-sink ratio is taken against it', () => {
    const table = markdown(
      run([row('kafka-limit', 200_000), row('kafka-limit-librdkafka', 600_000), row('indexer-null', 60_000)]),
    );
    assert.match(table, /^\| bulk1 \| 10% \|/m);
  });
});
