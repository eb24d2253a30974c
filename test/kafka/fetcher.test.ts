// The fetch loop's own decisions, with the Kafka client's group calls and connections replaced by
// stand-ins that answer as told (what reaches a broker is tested in integration/fetcher.test.ts):
// the order partitions are asked in, repositions finishing out of order, where a next fetcher
// starts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createRecordsBatch,
  Reader,
  type ConnectionPool,
  type Consumer,
  type Writer,
} from '@platformatic/kafka';
import { Fetcher, type FetcherOptions } from '../../src/kafka/fetcher.js';
import type { FetchResponse } from '../../src/kafka/fetch-request.js';
import { OutOfRangeLedger } from '../../src/kafka/out-of-range.js';
import type { ConsumedMessage } from '../../src/records.js';

type Asked = [partition: number, offset: bigint][];

/** The partitions and offsets of an encoded Fetch v12 request, in the order asked. */
function asked(request: Writer): Asked {
  const r = Reader.from(request);
  r.skip(4 * 4 + 1 + 4 * 2); // replica, max wait, min bytes, max bytes, isolation, session id, epoch
  const result: Asked = [];
  r.readArray((t) => {
    t.readString();
    t.readArray((p) => {
      const partition = p.readInt32();
      p.readInt32(); // current leader epoch
      const offset = p.readInt64();
      p.readInt32();
      p.readInt64();
      p.readInt32();
      result.push([partition, offset]);
    });
  });
  return result;
}

function records(base: bigint, count: number): Buffer {
  const encoded = createRecordsBatch(
    Array.from({ length: count }, (_, i) => ({ topic: 't', value: Buffer.from(`m${i}`) })),
  ).buffer;
  encoded.writeBigInt64BE(base, 0);
  return encoded;
}

function answer(parts: [partition: number, records: Buffer | null][]): FetchResponse {
  return {
    errorCode: 0,
    partitions: parts.map(([partition, recordSet]) => ({
      topic: 't',
      partition,
      errorCode: 0,
      highWatermark: 100n,
      logStartOffset: 0n,
      abortedTransactions: null,
      records: recordSet,
    })),
  };
}

/** Stand-ins: commits answered when the test says, one broker whose fetches wait for the test. */
function harness() {
  const commitCalls: ((offsets: Map<string, bigint[]>) => void)[] = [];
  const fetches: { asked: Asked; reply: (response: FetchResponse) => void }[] = [];
  const consumer = {
    listCommittedOffsets: () => new Promise((resolve) => commitCalls.push(resolve)),
    listOffsets: () => Promise.resolve(new Map()),
    metadata: () =>
      Promise.resolve({
        brokers: new Map([[1, { host: '127.0.0.1', port: 1 }]]),
        topics: new Map([['t', { partitions: [{ leader: 1 }, { leader: 1 }] }]]),
      }),
  };
  const connection = {
    send: (
      _key: number,
      _version: number,
      request: () => Writer,
      _parse: unknown,
      _a: unknown,
      _b: unknown,
      callback: (error: Error | null, response: FetchResponse) => void,
    ) => fetches.push({ asked: asked(request()), reply: (response) => callback(null, response) }),
  };
  const pool = { get: () => Promise.resolve(connection) };
  const options: FetcherOptions = {
    topics: ['t'],
    limits: { maxWaitMs: 100, maxBytes: 1024 * 1024, isolationLevel: 1 },
    readAhead: { bytes: 1 << 30, messages: 1 << 30 },
    reset: 'earliest',
    retries: 3,
    retryDelayMs: 10,
    report: { skipped: () => undefined, rewound: () => undefined },
    ledger: (topic) => new OutOfRangeLedger(topic),
  };
  const fetcher = (known = new Map()) =>
    new Fetcher(
      consumer as unknown as Consumer<Buffer, Buffer, Buffer, Buffer>,
      pool as unknown as ConnectionPool,
      options,
      [
        { topic: 't', partition: 0 },
        { topic: 't', partition: 1 },
      ],
      known,
    );
  return { commitCalls, fetches, fetcher };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function firstChunk(fetcher: Fetcher): Promise<ConsumedMessage[]> {
  const next = await fetcher.read().next();
  return next.done === true ? [] : next.value;
}

describe('Fetcher', () => {
  test('a partition that brought data is asked after those that did not', async () => {
    const { commitCalls, fetches, fetcher } = harness();
    const f = fetcher();
    const reading = firstChunk(f);
    commitCalls[0]?.(new Map([['t', [0n, 0n]]]));
    await settle();
    assert.deepEqual(fetches[0]?.asked, [
      [0, 0n],
      [1, 0n],
    ]);
    fetches[0]?.reply(answer([[0, records(0n, 3)]])); // the response was full with partition 0
    assert.equal((await reading).length, 3);
    await settle();
    assert.deepEqual(fetches[1]?.asked, [
      [1, 0n],
      [0, 3n],
    ]);
    f.stop();
  });

  test('an older reposition finishing after a newer one does not leave reading stalled', async () => {
    const { commitCalls, fetches, fetcher } = harness();
    const f = fetcher();
    f.reposition([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    commitCalls[1]?.(new Map([['t', [5n, 7n]]])); // the newer answers first
    await settle();
    assert.equal(fetches.length, 0, 'the older one is still being read');
    commitCalls[0]?.(new Map([['t', [0n, 0n]]]));
    await settle();
    assert.deepEqual(fetches[0]?.asked, [
      [0, 5n],
      [1, 7n],
    ]);
    f.stop();
  });

  test('a stopped fetcher hands the next one the first message it fetched and did not hand out', async () => {
    const { commitCalls, fetches, fetcher } = harness();
    // Nothing committed: both partitions go on from where an earlier fetcher got to.
    const f = fetcher(
      new Map([
        ['t:0', { topic: 't', partition: 0, offset: 10n }],
        ['t:1', { topic: 't', partition: 1, offset: 20n }],
      ]),
    );
    const reading = f.read();
    const first = reading.next();
    commitCalls[0]?.(new Map([['t', [-1n, -1n]]]));
    await settle();
    assert.deepEqual(fetches[0]?.asked, [
      [0, 10n],
      [1, 20n],
    ]);
    fetches[0]?.reply(answer([[0, records(10n, 4)]]));
    assert.equal(((await first).value as ConsumedMessage[]).length, 4, 'offsets 10-13 handed out');
    await settle();
    fetches[1]?.reply(answer([[1, records(20n, 2)]])); // fetched, queued, never handed out
    await settle();
    f.stop();
    const next = f.position;
    assert.equal(next.get('t:0')?.offset, 14n);
    assert.equal(next.get('t:1')?.offset, 20n, 'partition 1 starts at its first message not handed out');
  });
});
