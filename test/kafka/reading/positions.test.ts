import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { choosePositions, positionKey, type Position } from '../../../src/kafka/reading/positions.js';
import type { Assignment } from '../../../src/records.js';

const assigned: Assignment[] = [
  { topic: 'spi', partition: 0 },
  { topic: 'spi', partition: 1 },
  { topic: 'spi', partition: 2 },
];

function current(entries: [number, bigint][]): Map<string, Position> {
  return new Map(
    entries.map(([partition, offset]) => [
      positionKey('spi', partition),
      { topic: 'spi', partition, offset, lastEpoch: 4 },
    ]),
  );
}

describe('choosePositions', () => {
  it('reads from the commit, else from where this member reads, else from the listed offset', () => {
    const commits = new Map([
      [0, { offset: 40n, leaderEpoch: 6 }],
      [1, { offset: -1n, leaderEpoch: -1 }],
    ]);
    const { positions, started } = choosePositions(
      assigned,
      (a) => commits.get(a.partition),
      current([
        [0, 55n], // read past the commit: a rebalance rewinds it to the commit
        [1, 17n], // nothing committed yet: goes on where it is
      ]),
      (a) => (a.partition === 2 ? 3n : undefined),
    );
    assert.deepEqual(
      [...positions.values()].map((p) => [p.partition, p.offset]),
      [
        [0, 40n],
        [1, 17n],
        [2, 3n],
      ],
    );
    // Only the start chosen by the listed (reset) offset is to be committed at once.
    assert.deepEqual(
      started.map((p) => [p.partition, p.offset]),
      [[2, 3n]],
    );
    // From a commit, the epoch it was committed under (the first fetch validates it, KIP-320);
    // where this member reads, the epoch of the last batch it read.
    assert.deepEqual(
      [...positions.values()].map((p) => p.lastEpoch),
      [6, 4, -1],
    );
  });

  it('forgets partitions no longer assigned', () => {
    const { positions } = choosePositions(
      assigned.slice(0, 1),
      () => ({ offset: 5n, leaderEpoch: -1 }),
      current([[2, 9n]]),
      () => undefined,
    );
    assert.deepEqual([...positions.keys()], ['spi:0']);
  });

  it('refuses to guess when no offset is known', () => {
    assert.throws(
      () =>
        choosePositions(
          assigned,
          () => ({ offset: -1n, leaderEpoch: -1 }),
          new Map(),
          () => undefined,
        ),
      /no offset to read topic spi partition 0 from/,
    );
  });
});
