import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { OutOfRangeLedger, reportSkipped } from '../../../src/kafka/reading/out-of-range.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { capturedLogger } from '../../helpers/log-lines.js';

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
});
