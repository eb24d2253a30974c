// The one owner of the process's signals: the first SIGINT or SIGTERM stops, once; a second is
// left to Node's default (the process ends at once); a stop past its deadline ends the process
// with exit code 1; SIGHUP is caught every time. Signals are emitted on an EventEmitter standing
// in for the process, and the deadline runs on an injected scheduler: no real signal, no sleep.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { handleSignals, type StopSignal } from '../src/signals.js';

class FakeProcess extends EventEmitter {
  exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
  listening(): Record<string, number> {
    return Object.fromEntries(['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => [s, this.listenerCount(s)]));
  }
}

function scheduler() {
  const pending: { run: () => void; ms: number; cancelled: boolean }[] = [];
  return {
    pending,
    schedule: (run: () => void, ms: number) => {
      const entry = { run, ms, cancelled: false };
      pending.push(entry);
      return () => void (entry.cancelled = true);
    },
  };
}

describe('handleSignals', () => {
  for (const first of ['SIGINT', 'SIGTERM'] as const) {
    test(`the first ${first} stops, once; then neither is caught, so a second ends the process`, () => {
      const target = new FakeProcess();
      const stops: StopSignal[] = [];
      handleSignals({ stop: (signal) => stops.push(signal) }, target);
      assert.deepEqual(target.listening(), { SIGINT: 1, SIGTERM: 1, SIGHUP: 0 });
      target.emit(first);
      assert.deepEqual(stops, [first]);
      // No listener left: Node's default for the next one, which ends the process.
      assert.deepEqual(target.listening(), { SIGINT: 0, SIGTERM: 0, SIGHUP: 0 });
    });
  }

  test('a stop past its deadline is told, then the process ends with exit code 1', () => {
    const target = new FakeProcess();
    const { pending, schedule } = scheduler();
    const overdue: number[] = [];
    handleSignals(
      { stop: () => undefined, deadline: { ms: 25_000, overdue: () => overdue.push(1) }, schedule },
      target,
    );
    assert.equal(pending.length, 0, 'no deadline before a signal');
    target.emit('SIGTERM');
    assert.deepEqual(
      pending.map((p) => p.ms),
      [25_000],
    );
    pending[0]?.run();
    assert.deepEqual([overdue, target.exits], [[1], [1]]);
  });

  test('released once stopped: the deadline no longer applies and no signal is caught', () => {
    const target = new FakeProcess();
    const { pending, schedule } = scheduler();
    const hangUps: number[] = [];
    const release = handleSignals(
      {
        stop: () => undefined,
        deadline: { ms: 1000, overdue: () => undefined },
        hangUp: () => hangUps.push(1),
        schedule,
      },
      target,
    );
    target.emit('SIGHUP');
    target.emit('SIGHUP');
    assert.equal(hangUps.length, 2, 'SIGHUP every time');
    target.emit('SIGINT');
    release();
    assert.equal(pending[0]?.cancelled, true);
    assert.deepEqual(target.listening(), { SIGINT: 0, SIGTERM: 0, SIGHUP: 0 });
  });
});
