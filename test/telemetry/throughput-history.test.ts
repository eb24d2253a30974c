import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ThroughputHistory, type Totals } from '../../src/telemetry/throughput-history.js';

describe('ThroughputHistory', () => {
  test('rates per second between neighbouring samples, on the injected clock', async () => {
    let now = 1_000_000;
    let totals: Totals = { consumed: 0, indexed: 0, failed: 0, pausedSeconds: 0 };
    const history = new ThroughputHistory(() => Promise.resolve(totals), { now: () => now }, 2000, 5);
    await history.sample();
    assert.deepEqual(history.points(), [], 'one sample is no interval yet');

    now += 2000;
    totals = { consumed: 100, indexed: 90, failed: 4, pausedSeconds: 0.5 };
    await history.sample();
    now += 4000; // a late sample: the rate is over the time that really passed
    totals = { consumed: 100, indexed: 110, failed: 4, pausedSeconds: 9 };
    await history.sample();
    assert.deepEqual(history.points(), [
      { at: 1_002_000, consumed: 50, indexed: 45, failed: 2, paused: 0.25 },
      // A pause is counted when it ends: its share of one interval is capped at all of it.
      { at: 1_006_000, consumed: 0, indexed: 5, failed: 0, paused: 1 },
    ]);
    assert.equal(history.windowMs, 10_000);
  });

  test('keeps `size` points: the oldest samples leave the ring', async () => {
    let now = 0;
    let consumed = 0;
    const history = new ThroughputHistory(
      () => Promise.resolve({ consumed, indexed: 0, failed: 0, pausedSeconds: 0 }),
      { now: () => now },
      1000,
      3,
    );
    for (let i = 0; i < 10; i++) {
      now = i * 1000;
      consumed = i * i;
      await history.sample();
    }
    assert.deepEqual(
      history.points().map((p) => [p.at, p.consumed]),
      [
        [7000, 13],
        [8000, 15],
        [9000, 17],
      ],
    );
  });

  test('a read still running is not overlapped, and a failed read adds nothing', async () => {
    let release: (() => void) | undefined;
    let reads = 0;
    const history = new ThroughputHistory(
      () => {
        reads++;
        if (reads === 3) return Promise.reject(new Error('registry failed'));
        return new Promise((resolve) => {
          release = () => resolve({ consumed: reads, indexed: 0, failed: 0, pausedSeconds: 0 });
        });
      },
      { now: () => reads * 1000 },
    );
    const first = history.sample();
    await history.sample(); // skipped: the first is still reading
    release?.();
    await first;
    assert.equal(reads, 1);
    const second = history.sample();
    release?.();
    await second;
    await assert.rejects(history.sample(), /registry failed/);
    assert.deepEqual(
      history.points().map((p) => p.consumed),
      [1],
    );
  });
});
