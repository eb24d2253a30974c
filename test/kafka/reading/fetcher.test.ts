// The fetch loop's own decisions, with the Kafka client's group calls, the metadata and the
// connections replaced by stand-ins that answer as told (what reaches a broker is tested in
// integration/fetcher.test.ts and the conformance suite): the order partitions are asked in,
// repositions finishing out of order, where a next fetcher starts, leases, a recreated topic, an
// unreadable batch, a truncated log.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRecordsBatch, Reader, type ConnectionPool, type Writer } from '@platformatic/kafka';
import type { Committed } from '../../../src/kafka/reading/committed.js';
import { Fetcher, type FetcherEvents, type FetcherOptions } from '../../../src/kafka/reading/fetcher.js';
import type { FetchedPartition, FetchResponse } from '../../../src/kafka/reading/fetch-request.js';
import { Leases } from '../../../src/kafka/reading/leases.js';
import { OutOfRangeLedger } from '../../../src/kafka/reading/out-of-range.js';
import type { ClusterView } from '../../../src/kafka/reading/topic-metadata.js';
import type { MessageChunk } from '../../../src/records.js';

type Asked = [partition: number, offset: bigint][];

/** The partitions and offsets of an encoded Fetch v13 request, in the order asked. */
function asked(request: Writer): Asked {
  const r = Reader.from(request);
  r.skip(4 * 4 + 1 + 4 * 2); // replica, max wait, min bytes, max bytes, isolation, session id, epoch
  const result: Asked = [];
  r.readArray((t) => {
    t.readUUID();
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

function answer(
  parts: [partition: number, records: Buffer | null][],
  extra: Partial<FetchedPartition> = {},
): FetchResponse {
  return {
    errorCode: 0,
    partitions: parts.map(([partition, recordSet]) => ({
      topic: 't',
      partition,
      errorCode: 0,
      highWatermark: 100n,
      logStartOffset: 0n,
      abortedTransactions: null,
      divergingEpoch: undefined,
      records: recordSet,
      ...extra,
    })),
  };
}

const firstId = '00000000-0000-0000-0000-000000000001';
const secondId = '00000000-0000-0000-0000-000000000002';

function view(topicId = firstId): ClusterView {
  return {
    brokers: new Map([[1, { host: '127.0.0.1', port: 1 }]]),
    topics: new Map([
      [
        't',
        {
          id: topicId,
          partitions: [
            { leader: 1, leaderEpoch: 3 },
            { leader: 1, leaderEpoch: 3 },
          ],
        },
      ],
    ]),
    missing: [],
  };
}

/** Stand-ins: commits answered when the test says, one broker whose fetches wait for the test. */
function harness() {
  const commitCalls: ((offsets: Map<string, bigint[]>) => void)[] = [];
  const fetches: { asked: Asked; reply: (response: FetchResponse) => void }[] = [];
  const cluster = { view: view() };
  const group = { listOffsets: () => Promise.resolve(new Map([['t', [0n, 0n]]])) };
  // The group's commits, answered when the test says (offsets; epochs not known).
  const committed = () =>
    new Promise<Map<string, Committed[]>>((resolve) =>
      commitCalls.push((offsets) =>
        resolve(
          new Map([...offsets].map(([t, list]) => [t, list.map((offset) => ({ offset, leaderEpoch: -1 }))])),
        ),
      ),
    );
  const seen: { event: string; args: unknown[] }[] = [];
  const record =
    (event: string) =>
    (...args: unknown[]): void => {
      seen.push({ event, args });
    };
  const events: FetcherEvents = {
    recreated: record('recreated'),
    started: record('started'),
    unreadable: record('unreadable'),
    truncated: record('truncated'),
    missing: record('missing'),
  };
  const leases = new Leases();
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
    metadataRefreshMs: 60_000,
    unreadableRetryMs: 60_000,
    report: { skipped: () => undefined, rewound: () => undefined },
    ledger: (topic) => new OutOfRangeLedger(topic),
  };
  const fetcher = (known = new Map()) =>
    new Fetcher(
      {
        group,
        committed,
        pool: pool as unknown as ConnectionPool,
        metadata: () => Promise.resolve(cluster.view),
        leases,
        events,
      },
      options,
      [
        { topic: 't', partition: 0 },
        { topic: 't', partition: 1 },
      ],
      known,
    );
  return { commitCalls, fetches, fetcher, cluster, seen, leases };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function firstChunk(fetcher: Fetcher): Promise<MessageChunk['messages']> {
  const next = await fetcher.read().next();
  return next.done === true ? [] : next.value.messages;
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
        ['t:0', { topic: 't', partition: 0, offset: 10n, lastEpoch: -1 }],
        ['t:1', { topic: 't', partition: 1, offset: 20n, lastEpoch: -1 }],
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
    assert.equal(((await first).value as MessageChunk).messages.length, 4, 'offsets 10-13 handed out');
    await settle();
    fetches[1]?.reply(answer([[1, records(20n, 2)]])); // fetched, queued, never handed out
    await settle();
    f.stop();
    const next = f.position;
    assert.equal(next.get('t:0')?.offset, 14n);
    assert.equal(next.get('t:1')?.offset, 20n, 'partition 1 starts at its first message not handed out');
  });

  test("a revoked partition's messages fetched but not handed out are dropped", async () => {
    const { commitCalls, fetches, fetcher, leases } = harness();
    const f = fetcher();
    const reading = f.read();
    const first = reading.next();
    commitCalls[0]?.(new Map([['t', [0n, 0n]]]));
    await settle();
    fetches[0]?.reply(answer([[0, records(0n, 1)]]));
    await first;
    await settle();
    fetches[1]?.reply(
      answer([
        [1, records(0n, 2)],
        [0, records(1n, 2)],
      ]),
    );
    await settle();
    // Partition 1 is revoked while its messages wait for the pipeline.
    leases.release([{ topic: 't', partition: 1 }]);
    f.reposition([{ topic: 't', partition: 0 }]);
    const next = await reading.next();
    const chunk = next.value as MessageChunk;
    assert.deepEqual(
      chunk.messages.map((m) => [m.partition, m.offset]),
      [
        [0, 1n],
        [0, 2n],
      ],
    );
    assert.deepEqual(
      chunk.readUpTo.map((r) => [r.lease.partition, r.offset]),
      [[0, 3n]],
    );
    f.stop();
  });

  test('a topic found with another id is read again from the reset offset, and that start is committed', async () => {
    const { commitCalls, fetches, fetcher, cluster, seen, leases } = harness();
    const f = fetcher();
    const reading = f.read();
    const first = reading.next();
    commitCalls[0]?.(new Map([['t', [5n, 5n]]]));
    await settle();
    fetches[0]?.reply(answer([[0, records(5n, 2)]]));
    const before = ((await first).value as MessageChunk).messages[0]?.lease;
    assert.equal(before?.topicId, firstId);
    await settle();
    // Deleted and created again: the broker no longer knows the id asked for.
    cluster.view = view(secondId);
    fetches[1]?.reply(
      answer(
        [
          [0, null],
          [1, null],
        ],
        { errorCode: 100 },
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(
      seen.filter((e) => e.event === 'recreated').map((e) => e.args),
      [['t', firstId, secondId]],
    );
    assert.equal(before?.ended, true, "the earlier life's lease ended");
    commitCalls[1]?.(new Map([['t', [7n, 7n]]])); // an earlier life's commit: not trusted
    await settle();
    await settle();
    const started = seen.filter((e) => e.event === 'started').map((e) => e.args[0]);
    assert.deepEqual(started, [
      [
        { topic: 't', partition: 0, offset: 0n },
        { topic: 't', partition: 1, offset: 0n },
      ],
    ]);
    assert.deepEqual(fetches.at(-1)?.asked, [
      [1, 0n],
      [0, 0n],
    ]);
    fetches.at(-1)?.reply(answer([[0, records(0n, 1)]]));
    const again = ((await reading.next()).value as MessageChunk).messages;
    assert.equal(again[0]?.lease.topicId, secondId);
    assert.equal(leases.of('t', 0), again[0]?.lease);
    f.stop();
  });

  test('a batch that fails its CRC holds back its partition only, and is reported with where', async () => {
    const { commitCalls, fetches, fetcher, seen } = harness();
    const f = fetcher();
    const reading = f.read();
    const first = reading.next();
    commitCalls[0]?.(new Map([['t', [0n, 0n]]]));
    await settle();
    const damaged = Buffer.concat([records(0n, 2), records(2n, 2)]);
    damaged.writeUInt8((damaged.at(-2) as number) ^ 0xff, damaged.length - 2); // in the second batch
    fetches[0]?.reply(
      answer([
        [0, damaged],
        [1, records(0n, 3)],
      ]),
    );
    const chunk = (await first).value as MessageChunk;
    assert.deepEqual(
      chunk.messages.map((m) => [m.partition, m.offset]),
      [
        [0, 0n],
        [0, 1n],
        [1, 0n],
        [1, 1n],
        [1, 2n],
      ],
      'the good batch before the damaged one is read',
    );
    assert.equal(seen.filter((e) => e.event === 'unreadable').length, 1);
    assert.deepEqual(seen.find((e) => e.event === 'unreadable')?.args.slice(0, 3), ['t', 0, 2n]);
    await settle();
    assert.deepEqual(fetches[1]?.asked, [[1, 3n]], 'partition 0 waits, partition 1 goes on');
    f.stop();
  });

  test('a log truncated under the reader ends its lease and is read again from where the logs agree', async () => {
    const { commitCalls, fetches, fetcher, seen } = harness();
    const f = fetcher();
    const reading = f.read();
    const first = reading.next();
    commitCalls[0]?.(new Map([['t', [0n, 0n]]]));
    await settle();
    fetches[0]?.reply(answer([[0, records(0n, 3)]]));
    const lease = ((await first).value as MessageChunk).messages[0]?.lease;
    await settle();
    fetches[1]?.reply(answer([[0, null]], { divergingEpoch: { epoch: 2, endOffset: 1n } }));
    await settle();
    assert.deepEqual(seen.find((e) => e.event === 'truncated')?.args, ['t', 0, 3n, 1n]);
    assert.equal(lease?.ended, true);
    assert.deepEqual(fetches[2]?.asked, [
      [1, 0n],
      [0, 1n],
    ]);
    f.stop();
  });
});
