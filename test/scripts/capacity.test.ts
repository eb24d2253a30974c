import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultAssumptions, measuredFrom, plan, table, type Assumptions } from '../../scripts/capacity.js';

// A benchmark run with round figures, so that every number of the plan can be worked out by hand.
const run = {
  date: 'test',
  machine: { cpu: 'test', cores: 2, search: 'test' },
  results: (['bulk', 'bulk1'] as const).flatMap((format) => [
    {
      format,
      scenario: 'kafka-limit',
      documents: 1000,
      bytes: 1_000_000,
      docsPerSecond: 300_000,
      cpuSecondsPer100k: 0.5,
      peakRssMiB: 100,
    },
    {
      format,
      scenario: 'search-limit',
      documents: 1000,
      bytes: 1_000_000,
      docsPerSecond: 10_000,
      cpuSecondsPer100k: 1,
      peakRssMiB: 200,
      notes: '4 requests in flight',
    },
    {
      format,
      scenario: 'indexer-null',
      documents: 1000,
      bytes: 1_000_000,
      docsPerSecond: 40_000,
      cpuSecondsPer100k: 1,
      peakRssMiB: 250,
    },
    {
      format,
      scenario: 'end-to-end',
      documents: 1000,
      bytes: 1_000_000,
      docsPerSecond: 9_000,
      cpuSecondsPer100k: 2,
      peakRssMiB: 300,
    },
  ]),
};
const assumptions: Assumptions = { ...defaultAssumptions, headroom: 0.5, searchCores: 16, replicas: 1 };

describe('the capacity model', () => {
  test('reads the measured figures of one format from a benchmark run', () => {
    const m = measuredFrom(run, 'bulk1');
    assert.equal(m.docBytes, 1000);
    assert.equal(m.indexerCpuSecondsPer100k, 2);
    assert.equal(m.indexerCeilingDocsPerSecond, 40_000);
    assert.equal(m.searchDocsPerSecond, 10_000);
    assert.equal(m.searchInFlight, 4);
    assert.throws(() => measuredFrom({ ...run, results: [] }, 'bulk'), /has no bulk end-to-end/);
  });

  test('projects instances, partitions, search nodes and settings for a rate', () => {
    const p = plan(100_000, 'bulk1', measuredFrom(run, 'bulk1'), assumptions);
    // 2 CPU s per 100k → 50,000/s on one core, but one process was measured at 40,000/s; half of it.
    assert.equal(p.perInstanceDocsPerSecond, 20_000);
    assert.equal(p.indexerInstances, 5);
    assert.equal(p.partitions, 12); // 2 per instance, rounded up to a count with many divisors
    // 10,000/s on 2 cores of which the loader took 0.1 → 5,263/s a core; 16 cores at 75% → 63,157/s.
    assert.equal(p.perSearchNodeDocsPerSecond, 63_157);
    assert.equal(p.searchNodes, 7); // 200,000 writes/s (one replica) at half of 63,157 each
    assert.equal(p.megabytesPerSecond, 100);
    // 10 MiB bulks of 10,485 sessions; one took 4 × 10,485 / 10,000 = 4.19 s; 1.9 bulks/s → 9.
    assert.equal(p.settings.ELASTIC_INDEXER_INSTANCES, 9);
    assert.equal(p.settings.MAX_BUFFERED_BYTES, 10 * 10 * 1024 * 1024);
    assert.equal(p.settings.BULKER_MAX_MESSAGES, 13_000); // bulk1: room for 10,485 messages and more
    assert.equal(p.settings.BULKER_FLUSH_INTERVAL, '1s'); // a bulk fills in 0.52 s
    assert.equal(p.perInstanceRssMiB, 336); // the measured 300 MiB + 36 MiB more buffer
  });

  test('a small rate needs one of each, and bulks flushed on time', () => {
    const p = plan(500, 'bulk', measuredFrom(run, 'bulk'), assumptions);
    assert.deepEqual([p.indexerInstances, p.partitions, p.searchNodes], [1, 6, 1]);
    assert.equal(p.settings.ELASTIC_INDEXER_INSTANCES, 2);
    assert.equal(p.settings.BULKER_MAX_MESSAGES, 100);
    assert.equal(p.settings.BULKER_FLUSH_INTERVAL, '10s'); // 10 MiB at 500 KB/s would take 21 s
  });

  test('more headroom, more instances; no replica, fewer search nodes', () => {
    const m = measuredFrom(run, 'bulk');
    const base = plan(400_000, 'bulk', m, assumptions);
    assert.ok(
      plan(400_000, 'bulk', m, { ...assumptions, headroom: 0.25 }).indexerInstances > base.indexerInstances,
    );
    assert.ok(plan(400_000, 'bulk', m, { ...assumptions, replicas: 0 }).searchNodes < base.searchNodes);
  });

  test('the table has a row per rate and format', () => {
    const rows = table(run, [1000, 2000], assumptions).split('\n');
    assert.equal(rows.length, 2 + 4);
    assert.match(rows[2] ?? '', /^\| 1,000 \| bulk \| 1 \| 1 \| 6 \| 1 \|/);
  });
});
