// What this member owns, as commits are filtered by: the classic protocol's new generation comes
// with the JoinGroup answer and its assignment only with the SyncGroup answer after it.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { RebalanceWatch } from '../../../src/kafka/reading/rebalances.js';
import type { Assignment } from '../../../src/records.js';

/** A client as the watch sees it: its events, its assignment and its generation, set by the test. */
function group() {
  const events = new EventEmitter();
  const client = {
    generationId: 0,
    assignments: [] as { topic: string; partitions: number[] }[],
    on: (name: string, listener: () => void) => events.on(name, listener),
  };
  /** The SyncGroup answer of `generation` arrived with `partitions`. */
  const joined = (generation: number, partitions: number[]): void => {
    client.generationId = generation;
    client.assignments = [{ topic: 't', partitions }];
    events.emit('consumer:group:join');
  };
  return { client, events, joined };
}

function watch(client: ReturnType<typeof group>['client']) {
  const revoked: Assignment[][] = [];
  const released: Assignment[][] = [];
  let rebalancing = 0;
  const rebalances = new RebalanceWatch(
    client as never,
    { assignmentChanged: (_topics, _owned, _added, gone) => void revoked.push(gone) },
    { release: (gone) => void released.push([...gone]) },
    {
      topics: () => ['t'],
      reposition: () => undefined,
      rebalancing: () => (rebalancing += 1),
      joined: () => undefined,
    },
  );
  return { rebalances, revoked, released, rebalancing: () => rebalancing };
}

describe('RebalanceWatch', () => {
  test('owns what the last join assigned', () => {
    const { client, joined } = group();
    const { rebalances } = watch(client);
    assert.equal(rebalances.owns('t', 0), false, 'nothing before the first join');
    joined(1, [0, 2]);
    assert.deepEqual(
      [0, 1, 2].map((p) => rebalances.owns('t', p)),
      [true, false, true],
    );
    assert.equal(rebalances.owns('other', 0), false);
  });

  test('between the JoinGroup answer (a new generation) and the SyncGroup answer, owns nothing; then what the new generation assigned', () => {
    const { client, joined } = group();
    const { rebalances } = watch(client);
    joined(1, [0, 1, 2]);
    // The JoinGroup answer: the client commits with generation 2 from now on, its assignment still generation 1's.
    client.generationId = 2;
    assert.deepEqual(
      [0, 1, 2].map((p) => rebalances.owns('t', p)),
      [false, false, false],
      'a commit sent now would overwrite the new owners of partitions 1 and 2',
    );
    joined(2, [0]);
    assert.deepEqual(
      [0, 1, 2].map((p) => rebalances.owns('t', p)),
      [true, false, false],
    );
  });

  test('a join that keeps every partition owns them again in the new generation, and reports no change', () => {
    const { client, joined } = group();
    const { rebalances, revoked, rebalancing } = watch(client);
    joined(1, [0, 1]);
    client.generationId = 2;
    joined(2, [0, 1]);
    assert.equal(rebalances.owns('t', 1), true);
    assert.deepEqual(revoked, [[]], 'one change reported: the first assignment');
    assert.equal(rebalancing(), 0);
  });

  test('a generation this member never got the assignment of: every partition it owned ends its lease, without a commit first, kept ones included', () => {
    const { client, joined } = group();
    const { rebalances, revoked, released, rebalancing } = watch(client);
    joined(1, [0, 1]);
    // Generation 2 went to the other members (this one's SyncGroup was refused); 3 gives back 1.
    joined(3, [1, 2]);
    assert.deepEqual(
      released.map((gone) => gone.map((a) => a.partition)),
      [[0, 1]],
    );
    assert.equal(
      rebalancing(),
      0,
      'no commit: another member may have committed past these positions in generation 2',
    );
    assert.deepEqual(
      revoked.at(-1)?.map((a) => a.partition),
      [0, 1],
      'reported as revoked, and read from the commits like any partition gained',
    );
    assert.deepEqual(
      [0, 1, 2].map((p) => rebalances.owns('t', p)),
      [false, true, true],
    );
    // The next generation in turn keeps what it keeps.
    joined(4, [1]);
    assert.deepEqual(
      released.map((gone) => gone.map((a) => a.partition)),
      [[0, 1], [2]],
    );
  });

  test('the first join, and KIP-848 (whose generation stays 0), start over nothing', () => {
    const { client, joined } = group();
    const { released } = watch(client);
    joined(7, [0, 1]);
    assert.deepEqual(released, []);
    const kip848 = group();
    const watched = watch(kip848.client);
    kip848.joined(0, [0, 1]);
    kip848.joined(0, [1]);
    assert.deepEqual(
      watched.released.map((gone) => gone.map((a) => a.partition)),
      [[0]],
    );
  });

  test('partitions revoked: what is done of the kept ones is committed, and the revoked ones end their leases', () => {
    const { client, joined } = group();
    const order: string[] = [];
    const rebalances = new RebalanceWatch(
      client as never,
      { assignmentChanged: () => undefined },
      { release: (gone) => void order.push(`release ${gone.map((a) => a.partition).join(',')}`) },
      {
        topics: () => ['t'],
        reposition: () => undefined,
        rebalancing: () => void order.push('commit'),
        joined: () => undefined,
      },
    );
    joined(1, [0, 1]);
    joined(2, [1]);
    assert.deepEqual(order, ['commit', 'release 0']);
    assert.equal(rebalances.owns('t', 0), false);
  });
});
