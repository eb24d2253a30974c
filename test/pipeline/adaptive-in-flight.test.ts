// The adaptive limit in the pipeline, on the harness's hand-moved clock: requests in flight follow
// it up while answers keep their time; the limit falls when the cluster answers 429 (batches
// already in flight go on resending their documents: the limit holds back new ones).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdaptiveConcurrency } from '../../src/pipeline/concurrency.js';
import type { BulkReply } from '../../src/records.js';
import { allOk, bulk1, itemsReply } from './fakes.js';
import { range, startPipeline, type SentRequest } from './pipeline-harness.js';

/** Requests sent in each 100 ms (one round trip) from the start. */
function perRoundTrip(requests: SentRequest[], rounds: number): number[] {
  return range(0, rounds).map((k) => requests.filter((r) => r.at >= k * 100 && r.at < (k + 1) * 100).length);
}

function adaptivePipeline(max: number, answer?: (offsets: number[]) => BulkReply) {
  const decreases: number[] = [];
  const h = startPipeline({
    concurrency: (clock) =>
      new AdaptiveConcurrency({
        max,
        now: () => clock.now(),
        onAdjust: (a) => void (a.reason === 'back_pressure' && decreases.push(a.limit)),
      }),
    latencyMs: 100,
    limits: { maxMessages: 1, flushIntervalMs: 1 },
    ...(answer && { answer }),
  });
  h.feed.push(...range(0, 200).map((i) => bulk1(i)));
  return { ...h, decreases };
}

describe('adaptive concurrency in the pipeline', () => {
  test('answers that keep their time: one more request in flight each round trip, up to the highest', async () => {
    const h = adaptivePipeline(4);
    for (let t = 0; t < 1000; t += 5) await h.clock.advance(5);
    const sent = perRoundTrip(h.requests, 10);
    assert.deepEqual(sent.slice(0, 2), [1, 1], String(sent));
    // Never down; a window may be held while the baseline per byte follows sessions of other sizes.
    assert.ok(
      sent.every((n, i, a) => i === 0 || n >= (a[i - 1] ?? 0)),
      String(sent),
    );
    assert.deepEqual(sent.slice(6), [4, 4, 4, 4], String(sent));
  });

  test('429s for every document: the limit falls a tenth (at least one) a round trip, to 1', async () => {
    let overloaded = true;
    const h = adaptivePipeline(8, (offsets) =>
      overloaded ? itemsReply(offsets.map(() => 429)) : allOk(offsets.length),
    );
    overloaded = false;
    for (let t = 0; t < 1000; t += 5) await h.clock.advance(5);
    assert.equal(perRoundTrip(h.requests, 10)[9], 8, 'up to 8 while all goes well');
    overloaded = true;
    for (let t = 0; t < 3000; t += 5) await h.clock.advance(5);
    assert.deepEqual(h.decreases.slice(0, 3), [7, 6, 5], 'a tenth less (at least one) each round trip');
    assert.equal(h.decreases.at(-1), 1);
  });
});
