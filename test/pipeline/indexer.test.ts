// One batch from bulk request to done, against a fake `send` that answers as Elasticsearch does,
// with time moved by hand: splitting to the document at fault, resending only what was refused
// for now, giving up to the failure sink, abandoning on shutdown.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { indexBatch, type BatchEntry, type IndexerDeps } from '../../src/pipeline/indexer.js';
import { parseMessage } from '../../src/bulk/parse.js';
import type { BulkReply, ConsumedMessage, FailedDocument } from '../../src/records.js';
import {
  allOk,
  bulk1,
  captured,
  idsIn,
  itemsReply,
  leaseOf,
  ManualClock,
  offsetOf,
  retrySettings,
  testLog,
  testMetrics,
  valueOf,
} from './fakes.js';

function entries(messages: ConsumedMessage[]): BatchEntry[] {
  return messages.map((message) => ({ message, parsed: parseMessage(message.value) }));
}

const messages = (count: number): ConsumedMessage[] => Array.from({ length: count }, (_, i) => bulk1(i));

/** An indexer whose cluster answers with `answer`; it records what was sent, failed and reported. */
function setUp(
  answer: (offsets: number[], attempt: number) => BulkReply,
  options: Partial<IndexerDeps> = {},
) {
  const clock = new ManualClock();
  const metrics = testMetrics();
  const log = testLog();
  const requests: { offsets: number[]; body: Buffer; at: number }[] = [];
  const failed: { failures: FailedDocument[]; at: number }[] = [];
  const unavailable: boolean[] = [];
  const deps: IndexerDeps = {
    send: (body) => {
      const offsets = idsIn(body).map(offsetOf);
      requests.push({ offsets, body: Buffer.concat(body), at: clock.now() });
      return Promise.resolve(answer(offsets, requests.length - 1));
    },
    fail: (failures) => {
      failed.push({ failures, at: clock.now() });
      return Promise.resolve();
    },
    metrics,
    logger: log.logger,
    ...retrySettings,
    onUnavailable: (state) => void unavailable.push(state),
    now: clock.now,
    sleep: clock.sleep,
    ...options,
  };
  return { deps, clock, metrics, log, requests, failed, unavailable };
}

describe('indexBatch', () => {
  test('a request refused whole (400) is split in halves down to the document at fault, which alone goes to the failure sink', async () => {
    const poison = 3;
    const batch = messages(5);
    const { deps, clock, metrics, requests, failed } = setUp((offsets) =>
      offsets.includes(poison) ? captured('elasticsearch-malformed-request') : allOk(offsets.length),
    );
    assert.equal(await indexBatch(deps, entries(batch), new AbortController().signal), 'done');
    assert.deepEqual(
      requests.map((r) => r.offsets),
      [[0, 1, 2, 3, 4], [0, 1, 2], [3, 4], [3], [4]],
    );
    assert.equal(failed.length, 1);
    const [document] = failed[0]?.failures ?? [];
    assert.equal(failed[0]?.failures.length, 1);
    assert.equal(document?.source.offset, BigInt(poison));
    assert.equal(document?.errorType, 'x_content_parse_exception');
    assert.equal(document?.status, 400);
    assert.match(document?.reason ?? '', /Unrecognized token/);
    assert.deepEqual(document?.bytes, batch[poison]?.value, 'the document as received');
    assert.equal(await valueOf(metrics.indexedDocuments), 4);
    assert.equal(await valueOf(metrics.failedByReason, { reason: 'x_content_parse_exception' }), 1);
    assert.deepEqual(clock.sleeps, [], 'a split is sent at once, not after a wait');
  });

  test('only the documents refused for now (429) are sent again, as the very bytes received; a mapping error is not', async () => {
    const batch = messages(4);
    const { deps, clock, metrics, requests, failed } = setUp((offsets, attempt) =>
      attempt === 0 ? itemsReply([201, 429, 400, 429]) : allOk(offsets.length),
    );
    const result = indexBatch(deps, entries(batch), new AbortController().signal);
    await clock.advance(50);
    assert.equal(await result, 'done');
    assert.deepEqual(
      requests.map((r) => r.offsets),
      [
        [0, 1, 2, 3],
        [1, 3],
      ],
    );
    assert.deepEqual(
      requests[1]?.body,
      Buffer.concat([batch[1]?.value, batch[3]?.value].map((b) => b ?? Buffer.alloc(0))),
    );
    assert.equal(clock.sleeps.length, 1);
    const [wait = 0] = clock.sleeps;
    assert.ok(wait >= 25 && wait <= 50, `first backoff ${wait} ms, between half and all of 50 ms`);
    assert.equal(requests[1]?.at, wait, 'resent after the backoff');
    assert.deepEqual(
      failed.flatMap((f) => f.failures.map((d) => [d.source.offset, d.errorType, d.status])),
      [[2n, 'document_parsing_exception', 400]],
    );
    assert.equal(await valueOf(metrics.retriedDocuments, { reason: 'es_rejected_execution_exception' }), 2);
    assert.equal(await valueOf(metrics.bulkRetries), 1);
    assert.equal(await valueOf(metrics.indexedDocuments), 3);
  });

  test("a refused document's failure names its place in its message, for a replay to derive a stable _id", async () => {
    const [a, b, c] = messages(3).map((m) => m.value);
    const message = {
      topic: 'sessions',
      topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
      partition: 2,
      lease: leaseOf('sessions', 2),
      offset: 7n,
      value: Buffer.concat([a, b, c] as Buffer[]),
      timestamp: -1,
      logAppendTime: false,
    };
    const { deps, failed } = setUp(() => itemsReply([201, 201, 400]));
    assert.equal(await indexBatch(deps, entries([message]), new AbortController().signal), 'done');
    const [document] = failed[0]?.failures ?? [];
    assert.equal(failed[0]?.failures.length, 1);
    assert.deepEqual([document?.source, document?.position], [message, 2]);
    assert.deepEqual(document?.bytes, c);
  });

  test('a document that lost a mapping race is sent once more: indexed then, or failed with its second refusal', async () => {
    const race = captured('opensearch-1.3.14-mapping-race');
    for (const [answers, indexed, failedTypes] of [
      [[race, allOk(1)], 1, []],
      [[race, race], 0, ['illegal_argument_exception']],
    ] as const) {
      const { deps, clock, metrics, requests, failed } = setUp((_, attempt) => answers[attempt] ?? allOk(1));
      const result = indexBatch(deps, entries(messages(1)), new AbortController().signal);
      await clock.advance(50);
      assert.equal(await result, 'done');
      assert.equal(requests.length, 2, 'sent twice, never a third time');
      assert.equal(await valueOf(metrics.indexedDocuments), indexed);
      assert.deepEqual(
        failed.flatMap((f) => f.failures.map((d) => d.errorType)),
        failedTypes,
      );
      assert.equal(await valueOf(metrics.retriedDocuments, { reason: 'illegal_argument_exception' }), 1);
    }
  });

  test('documents still refused after giveUpAfterMs go to the failure sink as retries_exhausted', async () => {
    const { deps, clock, metrics, log, requests, failed, unavailable } = setUp(
      (offsets) => itemsReply(offsets.map(() => 429)),
      { giveUpAfterMs: 1000, backoff: { baseMs: 100, maxMs: 100 } },
    );
    let result: string | undefined;
    void indexBatch(deps, entries(messages(2)), new AbortController().signal).then((r) => (result = r));
    await clock.advanceUntil(() => result !== undefined, 10);
    assert.equal(result, 'done');
    assert.ok(requests.length >= 11, `${requests.length} tries in 1 s of waits of 50 to 100 ms`);
    assert.ok(requests.every((r) => r.offsets.join() === '0,1'));
    assert.equal(failed.length, 1);
    const at = failed[0]?.at ?? 0;
    assert.ok(at >= 1000 && at < 1100, `given up at ${at} ms: at the first failed try after 1000 ms`);
    assert.equal(at, requests.at(-1)?.at, 'without another wait');
    assert.deepEqual(
      failed[0]?.failures.map((d) => [d.source.offset, d.errorType, d.status]),
      [
        [0n, 'retries_exhausted', undefined],
        [1n, 'retries_exhausted', undefined],
      ],
    );
    assert.match(
      failed[0]?.failures[0]?.reason ?? '',
      /^es_rejected_execution_exception \(429\): rejected execution/,
    );
    assert.deepEqual(
      unavailable,
      [true, false],
      'unavailable after maxRetries tries, available again once given up',
    );
    assert.equal(await valueOf(metrics.failedByReason, { reason: 'retries_exhausted' }), 2);
    assert.equal(await valueOf(metrics.indexedDocuments), 0);
    assert.equal(log.messages().filter((m) => m === 'giving documents up to the failure topic').length, 1);
  });

  test('aborted during a backoff wait, the batch is abandoned and its failures are not sent', async () => {
    const { deps, clock, requests, failed } = setUp((offsets) =>
      itemsReply(offsets.map((o) => (o === 0 ? 400 : 429))),
    );
    const shutdown = new AbortController();
    const result = indexBatch(deps, entries(messages(3)), shutdown.signal);
    await clock.settle();
    assert.equal(clock.sleeps.length, 1, 'waiting to resend the 429s');
    shutdown.abort();
    assert.equal(await result, 'abandoned');
    await clock.advance(60_000);
    assert.equal(requests.length, 1, 'nothing sent after the abort');
    assert.deepEqual(failed, [], 'the mapping error of message 0 is not handed to the failure sink');
  });

  test('aborted while its failures are being delivered, the batch is abandoned: not done unless they are durable', async () => {
    const shutdown = new AbortController();
    const handed: FailedDocument[] = [];
    const { deps } = setUp((offsets) => itemsReply(offsets.map((o) => (o === 0 ? 400 : 201))), {
      // The failure producer gives up on abort; what it was delivering may not be on the topic.
      fail: (failures) => {
        handed.push(...failures);
        shutdown.abort();
        return Promise.resolve();
      },
    });
    assert.equal(await indexBatch(deps, entries(messages(2)), shutdown.signal), 'abandoned');
    assert.deepEqual(
      handed.map((d) => d.source.offset),
      [0n],
    );
  });
});
