import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { consumerFetchesChannel, type MessagesStream } from '@platformatic/kafka';
import { loadConfig } from '../../src/config/load.js';
import {
  OutOfRangeLedger,
  OutOfRangeWatch,
  refusedFetches,
  reportSkipped,
} from '../../src/kafka/out-of-range.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { capturedLogger } from '../helpers/log-lines.js';

const topicId = 'c1a1b7f0-0000-4000-8000-000000000001';

/**
 * What the client publishes on `plt:kafka:consumer:fetches` when a fetch fails: the request's
 * options (one entry per partition) and its ResponseError, whose `response` holds each
 * partition's error code.
 */
function tracedFetch(
  client: object,
  asked: [partition: number, fetchOffset: bigint][],
  answers: [partition: number, errorCode: number][],
  id = topicId,
): Record<string, unknown> {
  return {
    client,
    operation: 'fetch',
    options: {
      topics: asked.map(([partition, fetchOffset]) => ({
        topicId: id,
        partitions: [{ partition, fetchOffset, partitionMaxBytes: 1048576, currentLeaderEpoch: 0 }],
      })),
    },
    error: {
      message: 'Received response with error while executing API Fetch(v17)',
      response: {
        errorCode: 0,
        responses: [
          {
            topicId: id,
            // With an error, Kafka 4.1 answers -1 for the log's start and end.
            partitions: answers.map(([partitionIndex, errorCode]) => ({
              partitionIndex,
              errorCode,
              logStartOffset: -1n,
              highWatermark: -1n,
              records: null,
            })),
          },
        ],
      },
    },
  };
}

function metrics() {
  const loaded = loadConfig({
    KAFKA_CONSUMER_TOPIC: 't',
    KAFKA_CONSUMER_GROUP_NAME: 'g',
    ELASTIC_SERVICE: 'es',
  });
  assert.ok(loaded.ok);
  return createMetrics(loaded.config);
}

const none = { skipped: [], rewound: [] };

async function skippedTotal(m: ReturnType<typeof metrics>): Promise<number> {
  const { values } = await m.offsetsSkipped.get();
  return values.find((v) => v.labels.reason === 'out_of_range')?.value ?? NaN;
}

describe('offsets out of range (retention overtook the consumer)', () => {
  test('a refused fetch gives each partition out of range with the offset asked for; other errors and partitions none', () => {
    const traced = tracedFetch(
      {},
      [
        [0, 120n],
        [1, 40n],
        [2, 7n],
      ],
      [
        [0, 1],
        [1, 0],
        [2, 6], // NOT_LEADER_OR_FOLLOWER
      ],
    );
    assert.deepEqual(refusedFetches(traced), [{ topicId, partition: 0, fetchOffset: 120n }]);
    assert.deepEqual(refusedFetches({ error: new Error('connection closed') }), []);
    assert.deepEqual(refusedFetches(undefined), []);
  });

  test('the range from the offset asked for to where the client goes on is reported once', () => {
    const ledger = new OutOfRangeLedger('spi');
    ledger.refused([{ partition: 0, fetchOffset: 120n }]);
    // Not moved yet (an `offsets` event of another cause): nothing, and still pending.
    assert.deepEqual(
      ledger.moved(() => 120n),
      none,
    );
    assert.deepEqual(
      ledger.moved(() => 900n),
      {
        skipped: [{ topic: 'spi', partition: 0, from: 120n, to: 900n }],
        rewound: [],
      },
    );
    assert.deepEqual(
      ledger.moved(() => 900n),
      none,
      'reported once',
    );
  });

  test('a rebalance rewinding to the same deleted commit counts nothing again; a later loss counts only its own offsets', () => {
    const ledger = new OutOfRangeLedger('spi');
    ledger.refused([{ partition: 3, fetchOffset: 120n }]);
    assert.equal(ledger.moved(() => 900n).skipped.length, 1);
    ledger.refused([{ partition: 3, fetchOffset: 120n }]);
    assert.deepEqual(
      ledger.moved(() => 900n),
      none,
    );
    // A second outage: read up to 950, then retention went on to 2000.
    ledger.refused([{ partition: 3, fetchOffset: 950n }]);
    assert.deepEqual(ledger.moved(() => 2000n).skipped, [
      { topic: 'spi', partition: 3, from: 950n, to: 2000n },
    ]);
  });

  test('a refusal the stream ended before recovering from is forgotten by the next stream, which starts from the commit', () => {
    const ledger = new OutOfRangeLedger('spi');
    ledger.refused([{ partition: 0, fetchOffset: 950n }]);
    ledger.restarted();
    assert.deepEqual(
      ledger.moved(() => 120n),
      none,
      'the commit is not a move back',
    );
    ledger.refused([{ partition: 0, fetchOffset: 120n }]);
    assert.deepEqual(ledger.moved(() => 2000n).skipped, [
      { topic: 'spi', partition: 0, from: 120n, to: 2000n },
    ]);
  });

  test('partitions are kept apart', () => {
    const ledger = new OutOfRangeLedger('spi');
    ledger.refused([
      { partition: 0, fetchOffset: 100n },
      { partition: 1, fetchOffset: 100n },
    ]);
    const positions = new Map([
      [0, 250n],
      [1, 100n],
    ]);
    assert.deepEqual(ledger.moved((p) => positions.get(p)).skipped, [
      { topic: 'spi', partition: 0, from: 100n, to: 250n },
    ]);
    positions.set(1, 260n);
    assert.deepEqual(ledger.moved((p) => positions.get(p)).skipped, [
      { topic: 'spi', partition: 1, from: 100n, to: 260n },
    ]);
  });

  test('an offset past the end of the log (topic recreated) is told apart: moved back, nothing lost', () => {
    const ledger = new OutOfRangeLedger('spi');
    ledger.refused([{ partition: 1, fetchOffset: 5000n }]);
    assert.deepEqual(
      ledger.moved(() => 0n),
      {
        skipped: [],
        rewound: [{ topic: 'spi', partition: 1, fetchOffset: 5000n, to: 0n }],
      },
    );
  });

  test('reporting writes one error line naming topic, partition and range, and counts the offsets', async () => {
    const m = metrics();
    assert.equal(await skippedTotal(m), 0, 'exposed at 0 from the start');
    const { logger, lines } = capturedLogger();
    reportSkipped(logger, m, 'earliest').skipped({ topic: 'spi', partition: 2, from: 120n, to: 900n });
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line?.['level'], 50);
    assert.equal(
      line?.['msg'],
      'messages deleted by retention before they were indexed: topic spi partition 2, offsets 120–899 lost (780 messages); going on from 900, the earliest offset kept',
    );
    assert.equal(line?.['firstOffset'], 120);
    assert.equal(line?.['lastOffset'], 899);
    assert.equal(line?.['messages'], 780);
    assert.equal(await skippedTotal(m), 780);
  });

  test('wired to the client: a traced refusal, then the stream moving on, gives one report; other clients are ignored', async () => {
    const m = metrics();
    const { logger, lines } = capturedLogger();
    const client = {};
    const watch = new OutOfRangeWatch(client, reportSkipped(logger, m, 'earliest'));
    const stream = Object.assign(new EventEmitter(), { offsetsToFetch: new Map([['spi:0', 120n]]) });
    watch.follow(
      stream as unknown as MessagesStream<Buffer, Buffer, Buffer, Buffer>,
      new Map([[topicId, 'spi']]),
    );
    try {
      consumerFetchesChannel.error.publish(tracedFetch({}, [[0, 120n]], [[0, 1]]));
      consumerFetchesChannel.error.publish(tracedFetch(client, [[0, 120n]], [[0, 1]]));
      stream.emit('offsets'); // a refresh before the recovery: nothing moved yet
      stream.offsetsToFetch.set('spi:0', 900n);
      stream.emit('offsets');
      stream.emit('offsets');
    } finally {
      watch.stop();
    }
    consumerFetchesChannel.error.publish(tracedFetch(client, [[0, 900n]], [[0, 1]]));
    stream.offsetsToFetch.set('spi:0', 950n);
    stream.emit('offsets');
    assert.deepEqual(
      lines.map((l) => [l['partition'], l['firstOffset'], l['lastOffset']]),
      [[0, 120, 899]],
    );
    assert.equal(await skippedTotal(m), 780);
  });

  test('several topics: each refusal is reported for its own topic, found by the id the fetch names it by', () => {
    const m = metrics();
    const { logger, lines } = capturedLogger();
    const client = {};
    const otherId = 'c1a1b7f0-0000-4000-8000-000000000002';
    const watch = new OutOfRangeWatch(client, reportSkipped(logger, m, 'earliest'));
    const stream = Object.assign(new EventEmitter(), {
      offsetsToFetch: new Map([
        ['spi:0', 120n],
        ['spi-b:0', 40n],
      ]),
    });
    const names = new Map([
      [topicId, 'spi'],
      [otherId, 'spi-b'],
    ]);
    watch.follow(stream as unknown as MessagesStream<Buffer, Buffer, Buffer, Buffer>, names);
    try {
      consumerFetchesChannel.error.publish(tracedFetch(client, [[0, 120n]], [[0, 1]]));
      consumerFetchesChannel.error.publish(tracedFetch(client, [[0, 40n]], [[0, 1]], otherId));
      stream.offsetsToFetch.set('spi-b:0', 50n);
      stream.emit('offsets'); // only spi-b moved
      stream.offsetsToFetch.set('spi:0', 900n);
      stream.emit('offsets');
    } finally {
      watch.stop();
    }
    assert.deepEqual(
      lines.map((l) => [l['topic'], l['partition'], l['firstOffset'], l['lastOffset']]),
      [
        ['spi-b', 0, 40, 49],
        ['spi', 0, 120, 899],
      ],
    );
  });
});
