import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AdaptiveConcurrency,
  fixedConcurrency,
  type AdaptiveOptions,
  type Adjustment,
} from '../../src/pipeline/concurrency.js';

const MiB = 1024 * 1024;

/** A limit on a hand-moved clock, with every adjustment it made. */
function adaptive(options: Partial<AdaptiveOptions> = {}) {
  let now = 0;
  const adjustments: Adjustment[] = [];
  const limit = new AdaptiveConcurrency({
    max: 16,
    now: () => now,
    onAdjust: (a) => adjustments.push(a),
    ...options,
  });
  /** One round: as many requests as the limit allows start, then all answer after `rttMs`. */
  const round = (rttMs: number, backPressure = false, busy = true, bytes = MiB): void => {
    const n = limit.limit;
    for (let i = 1; i <= n; i += 1) limit.started(busy ? i : 0);
    now += rttMs;
    for (let i = 0; i < n; i += 1) limit.observe({ rttMs, bytes, backPressure });
  };
  return { limit, adjustments, round, advance: (ms: number) => (now += ms) };
}

describe('adaptive concurrency', () => {
  test('starts at 1 unless told otherwise, and not above the highest', () => {
    assert.equal(new AdaptiveConcurrency({ max: 16, now: () => 0 }).limit, 1);
    assert.equal(new AdaptiveConcurrency({ max: 16, initial: 4, now: () => 0 }).limit, 4);
    assert.throws(() => new AdaptiveConcurrency({ max: 2, initial: 3, now: () => 0 }), /from 1 to 2/);
  });

  test('rises by one a window while round trips hold and every slot is used, up to the highest', () => {
    const { limit, round, adjustments } = adaptive({ max: 6, initial: 1 });
    const seen: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      round(20);
      seen.push(limit.limit);
    }
    // Each window is judged when the next one's first answer comes: one round late.
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 6, 6, 6, 6]);
    assert.ok(adjustments.every((a) => a.reason === 'increase'));
    assert.equal(limit.baselineMs, 20);
    assert.equal(limit.baselineMsPerMiB, 20);
  });

  test('does not rise while requests do not fill the limit: no evidence that more would help', () => {
    const { limit, round } = adaptive();
    round(20);
    round(20); // the first window judged: up to 2
    for (let i = 0; i < 10; i += 1) round(20, false, false);
    assert.equal(limit.limit, 2);
  });

  test('back-pressure cuts the limit by a tenth (at least one), never below 1', () => {
    const { limit, round, adjustments } = adaptive({ max: 16 });
    for (let i = 0; i < 20; i += 1) round(10);
    assert.equal(limit.limit, 16);
    const seen: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      round(10, true);
      seen.push(limit.limit);
    }
    // The first round's answers are judged with the next one's first.
    assert.deepEqual(seen.slice(0, 8), [16, 14, 12, 10, 9, 8, 7, 6]);
    assert.equal(seen.at(-1), 1);
    const decreases = adjustments.filter((a) => a.reason === 'back_pressure');
    // Only the changes count: the windows spent at 1 are not decreases.
    assert.equal(decreases.length, 12);
  });

  test('a round trip well above its baseline (requests queue in the cluster) cuts the limit; the baseline then follows', () => {
    const { limit, round, adjustments } = adaptive({ initial: 1 });
    for (let i = 0; i < 9; i += 1) round(20);
    assert.equal(limit.limit, 9);
    round(60); // judges the last window of 20 ms: up to 10
    assert.equal(limit.limit, 10);
    round(60); // judges the window of 60 ms answers
    assert.equal(limit.limit, 9);
    const last = adjustments.at(-1) as Adjustment;
    assert.equal(last.reason, 'rtt');
    assert.equal(last.baselineMs, 20);
    assert.equal(last.windowMs, 60);
    assert.equal(last.baselineMsPerMiB, 20);
    assert.equal(last.windowMsPerMiB, 60);
    // The baseline moved up by alpha (0.4) of the step: 36 ms.
    assert.ok(Math.abs((limit.baselineMs as number) - 36) < 1e-9, String(limit.baselineMs));
  });

  test('a slightly slower window is noise, not a reason to cut', () => {
    const { limit, round, adjustments } = adaptive({ initial: 1 });
    for (let i = 0; i < 5; i += 1) round(20);
    assert.equal(limit.limit, 5);
    round(21);
    round(19);
    round(21.9);
    round(20);
    // 21 and 21.9: neither a cut (within a fifth at 5) nor a rise (above the baseline); 19 and 20: a rise.
    assert.equal(limit.limit, 7);
    assert.ok(adjustments.every((a) => a.reason === 'increase'));
  });

  // In these, the round whose answers are judged ran with every slot free (busy false) unless the
  // test is about a rise: `round` marks the limit reached as the next round starts.
  test('at a low limit, round trips longer by less than 1/limit are not cut: the step up still added throughput', () => {
    // 10 MB requests of a second each, three in flight; then round trips a fifth longer: three
    // every 1.2 s is still more than two every second would be.
    const { limit, round, adjustments } = adaptive({ initial: 3 });
    for (let i = 0; i < 3; i += 1) round(1000, false, false, 10 * MiB);
    round(1200, false, false, 10 * MiB);
    round(1200, false, false, 10 * MiB); // judges +20% at 3 (a third allowed): held; the old tenth cut
    assert.equal(limit.limit, 3);
    assert.equal(adjustments.length, 0);
    round(2000, false, false, 10 * MiB);
    round(2000, false, false, 10 * MiB); // judges 2 s against ~1.1 s: a cut
    assert.equal(limit.limit, 2);
    assert.equal(adjustments[0]?.reason, 'rtt');
  });

  test('at a limit of 10 or more, more than a tenth longer is still a cut', () => {
    const judged = (rttMs: number): number => {
      const { limit, round } = adaptive({ initial: 12 });
      for (let i = 0; i < 3; i += 1) round(100, false, false);
      round(rttMs, false, false);
      round(rttMs, false, false);
      return limit.limit;
    };
    assert.equal(judged(109), 12);
    assert.equal(judged(111), 10);
  });

  test('requests of another size: a bigger one slower is not a cut, a smaller one sooner is not a rise', () => {
    // A baseline of 2 MiB requests at 0.2 s; then 10 MiB ones at a second: five times the round
    // trip, but as fast per byte. The old rule, by RTT alone, cut here.
    const bigger = adaptive({ initial: 4 });
    for (let i = 0; i < 3; i += 1) bigger.round(200, false, false, 2 * MiB);
    bigger.round(1000, false, false, 10 * MiB);
    bigger.round(1000, false, true, 10 * MiB);
    assert.equal(bigger.limit.limit, 4);
    assert.equal(bigger.adjustments.length, 0);

    // A baseline of 10 MiB requests at a second each; then 2 MiB ones (batches closed by the
    // flush interval) answered in 0.6 s: sooner, but three times as long per byte. The old rule rose.
    const smaller = adaptive({ initial: 4 });
    for (let i = 0; i < 3; i += 1) smaller.round(1000, false, false, 10 * MiB);
    smaller.round(600, false, false, 2 * MiB);
    smaller.round(600, false, true, 2 * MiB);
    assert.equal(smaller.limit.limit, 4);
    assert.equal(smaller.adjustments.length, 0);

    // As fast per byte and no longer a round trip: a rise, as before.
    const same = adaptive({ initial: 4 });
    for (let i = 0; i < 3; i += 1) same.round(1000, false, false, 10 * MiB);
    same.round(900, false, false, 9 * MiB);
    same.round(900, false, true, 9 * MiB);
    assert.equal(same.limit.limit, 5);
  });

  test('behind distance, round trips of one length for requests of any size are not a cut', () => {
    // 40 ms of travel whatever the size: requests of 120 KiB after ones of 200 KiB look slower per
    // byte, but their round trips are no longer. One window is held while the baseline per byte
    // catches up, then the limit rises on (time per byte alone would have cut it).
    const { limit, round, adjustments } = adaptive({ initial: 4 });
    for (let i = 0; i < 3; i += 1) round(40, false, true, 200 * 1024);
    for (let i = 0; i < 4; i += 1) round(40, false, true, 120 * 1024);
    assert.equal(limit.limit, 9);
    assert.deepEqual(
      adjustments.map((a) => a.limit),
      [5, 6, 7, 8, 9],
    );
  });

  test('one decision a window: answers within one baseline RTT are pooled', () => {
    const { limit, adjustments, advance } = adaptive({ initial: 1 });
    limit.started(1);
    advance(100);
    limit.observe({ rttMs: 100, bytes: MiB, backPressure: false }); // opens the first window, to 200
    advance(100);
    limit.observe({ rttMs: 100, bytes: MiB, backPressure: false }); // judges it: up to 2
    assert.equal(limit.limit, 2);
    for (let i = 0; i < 5; i += 1) {
      limit.started(2);
      advance(10);
      limit.observe({ rttMs: 100, bytes: MiB, backPressure: true });
    }
    assert.equal(limit.limit, 2, 'no decision before the window of 100 ms is over');
    advance(60);
    limit.observe({ rttMs: 100, bytes: MiB, backPressure: false });
    assert.equal(limit.limit, 1);
    assert.deepEqual(
      adjustments.map((a) => a.reason),
      ['increase', 'back_pressure'],
    );
  });

  test('refuses a highest limit below 1', () => {
    assert.throws(() => new AdaptiveConcurrency({ max: 0, now: () => 0 }), /1 or more/);
  });

  test('a fixed number stays what it is, whatever happens', () => {
    const fixed = fixedConcurrency(4);
    fixed.started(4);
    fixed.observe({ rttMs: 1000, bytes: MiB, backPressure: true });
    assert.equal(fixed.limit, 4);
  });
});
