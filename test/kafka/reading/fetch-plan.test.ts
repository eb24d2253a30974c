import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planFetches } from '../../../src/kafka/reading/fetch-plan.js';
import type { Position } from '../../../src/kafka/reading/positions.js';
import type { ClusterView } from '../../../src/kafka/reading/topic-metadata.js';

const position = (topic: string, partition: number, offset: bigint): [string, Position] => [
  `${topic}:${partition}`,
  { topic, partition, offset, lastEpoch: 4 },
];

const view: ClusterView = {
  brokers: new Map([
    [1, { host: 'k1', port: 1 }],
    [2, { host: 'k2', port: 2 }],
  ]),
  topics: new Map([
    [
      't',
      {
        id: 'id-t',
        partitions: [
          { leader: 1, leaderEpoch: 9 },
          { leader: 2, leaderEpoch: 9 },
          { leader: -1, leaderEpoch: 9 },
        ],
      },
    ],
  ]),
  missing: ['gone'],
};

const state = {
  now: 1000,
  resetting: new Set<string>(),
  stalled: new Map<string, number>(),
  lastServed: new Map<string, number>(),
  mayAsk: () => true,
};

describe('planFetches', () => {
  test('by leader, with topic id and epochs; a partition without a leader makes the view stale; a missing topic is left out', () => {
    const positions = new Map([
      position('t', 0, 5n),
      position('t', 1, 6n),
      position('t', 2, 7n),
      position('gone', 0, 1n),
    ]);
    const plan = planFetches(positions, view, state);
    assert.deepEqual(plan.byLeader.get(1), [
      { topic: 't', topicId: 'id-t', partition: 0, fetchOffset: 5n, leaderEpoch: 9, lastFetchedEpoch: 4 },
    ]);
    assert.deepEqual(
      plan.byLeader.get(2)?.map((p) => p.partition),
      [1],
    );
    assert.equal(plan.stale, true);
    assert.equal(plan.wakeAt, undefined);
  });

  test('held-back partitions wait (resetting, stalled until a time, leader busy); the least recently served go first', () => {
    const positions = new Map([position('t', 0, 5n), position('t', 1, 6n)]);
    const stalled = planFetches(positions, view, {
      ...state,
      stalled: new Map([['t:0', 4000]]),
      mayAsk: (leader) => leader !== 2,
    });
    assert.equal(stalled.byLeader.size, 0);
    assert.equal(stalled.wakeAt, 4000);
    const resetting = planFetches(positions, view, { ...state, resetting: new Set(['t:0', 't:1']) });
    assert.equal(resetting.byLeader.size, 0);
    const oneLeader: ClusterView = {
      ...view,
      topics: new Map([
        [
          't',
          {
            id: 'id-t',
            partitions: [
              { leader: 1, leaderEpoch: 0 },
              { leader: 1, leaderEpoch: 0 },
            ],
          },
        ],
      ]),
    };
    const ordered = planFetches(positions, oneLeader, { ...state, lastServed: new Map([['t:0', 5]]) });
    assert.deepEqual(
      ordered.byLeader.get(1)?.map((p) => p.partition),
      [1, 0],
    );
  });
});
