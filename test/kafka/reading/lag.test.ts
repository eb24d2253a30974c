import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { partitionLag, type OffsetSource } from '../../../src/kafka/reading/lag.js';

/** Offsets per topic as the client answers them: partition index → offset. */
type Offsets = Map<string, bigint[]>;

function brokers(ends: Offsets, committed: Offsets, starts: Offsets) {
  const asked: unknown[] = [];
  const client = {
    listOffsets: (options: { timestamp?: bigint }) => {
      asked.push(options);
      return Promise.resolve(options.timestamp === -2n ? starts : ends);
    },
    listCommittedOffsets: (options: unknown) => {
      asked.push(options);
      return Promise.resolve(committed);
    },
  } as unknown as OffsetSource;
  return { client, asked };
}

describe('consumer lag per topic and partition', () => {
  test('each partition of each topic: end minus the commit, or minus the log start without one', async () => {
    const { client } = brokers(
      new Map([
        ['spi-a', [100n, 50n]],
        ['spi-b', [30n]],
      ]),
      new Map([
        ['spi-a', [90n, 50n]],
        ['spi-b', [-1n]],
      ]),
      new Map([['spi-b', [10n]]]),
    );
    const lag = await partitionLag(client, [
      { topic: 'spi-a', partitions: [0, 1] },
      { topic: 'spi-b', partitions: [0] },
    ]);
    assert.deepEqual(lag, [
      { topic: 'spi-a', partition: 0, lag: 10n },
      { topic: 'spi-a', partition: 1, lag: 0n },
      { topic: 'spi-b', partition: 0, lag: 20n },
    ]);
  });

  test('nothing assigned: nothing asked', async () => {
    const { client, asked } = brokers(new Map(), new Map(), new Map());
    assert.deepEqual(await partitionLag(client, [{ topic: 'spi-a', partitions: [] }]), []);
    assert.equal(asked.length, 0);
  });

  test('every partition committed: the log starts are not asked', async () => {
    const { client, asked } = brokers(new Map([['spi-a', [5n]]]), new Map([['spi-a', [5n]]]), new Map());
    assert.deepEqual(await partitionLag(client, [{ topic: 'spi-a', partitions: [0] }]), [
      { topic: 'spi-a', partition: 0, lag: 0n },
    ]);
    assert.equal(asked.length, 2);
  });
});
