// Stopping the pipeline on a clock moved by hand: what is pending is sent, batches in flight get
// the grace time, then are abandoned with their offsets uncommitted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allOk, bulk1, levels, unavailable, valueOf } from './fakes.js';
import { startPipeline } from './pipeline-harness.js';

describe('stop', () => {
  test('sends what is pending, waits for the batches in flight, commits everything, and returns', async () => {
    const h = startPipeline({ latencyMs: 300, limits: { maxMessages: 2 }, drainGraceMs: 5000 });
    h.feed.push(bulk1(0), bulk1(1), bulk1(2));
    await h.clock.advance(100); // [0, 1] in flight until 300; [2] pending
    await h.pipeline.stop();
    await h.clock.advance(199);
    assert.equal(h.requests.length, 1, 'the pending batch waits for the indexer');
    await h.clock.advance(300); // [2] sent at 300, done at 600
    assert.equal(h.outcome.finished, false, 'the batch in flight is waited for');
    await h.clock.advance(1);
    assert.equal(h.outcome.finished, true);
    assert.equal(h.outcome.error, undefined);
    assert.deepEqual(h.requests, [
      { offsets: [0, 1], at: 0 },
      { offsets: [2], at: 300 },
    ]);
    assert.equal(await valueOf(h.metrics.flushReasons, { reason: 'shutdown' }), 1);
    assert.equal(h.committed().get(0), 3n);
  });

  test('abandons the batches still in flight after the grace time: their offsets stay uncommitted', async () => {
    // The cluster takes messages 0 and 1, then goes away: every later request gets a 503.
    const h = startPipeline({
      latencyMs: 10,
      limits: { maxMessages: 2 },
      drainGraceMs: 1000,
      answer: (offsets) => (offsets.some((o) => o >= 2) ? unavailable : allOk(offsets.length)),
    });
    h.feed.push(bulk1(0), bulk1(1));
    await h.clock.advance(10);
    h.feed.push(bulk1(2), bulk1(3), bulk1(4)); // [2, 3] retried on and on; [4] pending
    await h.clock.advance(1000);
    assert.equal(h.committed().get(0), 2n, 'messages 0 and 1 committed while running');
    await h.pipeline.stop(); // at 1010: abandon at 2010
    await h.clock.advance(999);
    assert.equal(h.outcome.finished, false, 'the grace time is not over');
    await h.clock.advance(1);
    assert.equal(h.outcome.finished, true);
    assert.equal(h.outcome.error, undefined);
    const abandoning = h.log.lines.filter(
      (l) =>
        l.level === levels.warn && l.msg === 'abandoning batches still in flight; they will be redelivered',
    );
    assert.deepEqual(
      abandoning.map((l) => l['batches']),
      [1],
      'one line, for the one batch in flight',
    );
    assert.ok(h.requests.length > 3, 'the batch in flight was retried meanwhile');
    assert.deepEqual(new Set(h.requests.slice(1).map((r) => r.offsets.join())), new Set(['2,3']));
    assert.equal(
      await valueOf(h.metrics.flushReasons, { reason: 'shutdown' }),
      1,
      'message 4 flushed on stop',
    );
    assert.equal(h.committed().get(0), 2n, 'nothing committed past the abandoned batches');
    assert.equal(await valueOf(h.metrics.inFlightRequests), 0);
    assert.equal(await valueOf(h.metrics.bufferedBytes), 0);
  });
});
