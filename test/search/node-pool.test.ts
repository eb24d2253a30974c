import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  NodePool,
  type NodeEvent,
  type NodeTimings,
  type SearchNodeState,
} from '../../src/search/node-pool.js';

const timings: NodeTimings = {
  resurrect: { baseMs: 1000, maxMs: 8000 },
  unlistedGraceMs: 10_000,
};
const a = new URL('http://10.0.0.1:9200');
const b = new URL('http://10.0.0.2:9200');
const c = new URL('http://10.0.0.3:9200');

function poolOf(seeds: URL[]) {
  const events: NodeEvent[] = [];
  const pool = new NodePool(seeds, (e) => events.push(e), timings);
  return { pool, events };
}

/** Picks until the node at `url` comes up (within one round), for tests about one node. */
function pickNode(pool: NodePool, url: URL, now = 0): SearchNodeState {
  for (let i = 0; i <= pool.origins.length; i += 1) {
    const node = pool.pick(now);
    if (node.origin === url.origin) return node;
  }
  throw new Error(`${url.origin} is not in rotation`);
}

/** The origins of the next `n` picks. */
function picks(pool: NodePool, n: number, now = 0): string[] {
  return Array.from({ length: n }, () => pool.pick(now).origin);
}

describe('NodePool: rotation', () => {
  test('round robin over every node', () => {
    const { pool } = poolOf([a, b, c]);
    const seen = picks(pool, 6);
    assert.deepEqual(seen.slice(0, 3).sort(), [a.origin, b.origin, c.origin].sort());
    assert.deepEqual(seen.slice(3), seen.slice(0, 3));
  });

  test('no seed at all is refused', () => {
    assert.throws(() => new NodePool([]), /ELASTIC_SERVICE/);
  });
});

describe('NodePool: dead nodes', () => {
  test('a node whose request got no answer leaves the rotation until its retry time', () => {
    const { pool, events } = poolOf([a, b]);
    const node = pool.pick(0);
    pool.failed(node, 0, 100);
    assert.deepEqual(events, [{ kind: 'dead', node: node.origin, failures: 1, retryInMs: 1000 }]);
    const other = node.origin === a.origin ? b.origin : a.origin;
    assert.deepEqual(picks(pool, 4, 500), [other, other, other, other]);
    assert.deepEqual(pool.counts(), { total: 2, dead: 1 });
    // What the status page lists: each node, alive or not.
    assert.deepEqual(
      pool.states().map((s) => s.alive),
      pool.origins.map((o) => o !== node.origin),
    );
    // At its retry time it is back, on trial.
    assert.ok(picks(pool, 2, 1100).includes(node.origin));
    assert.deepEqual(events.at(-1), { kind: 'retrying', node: node.origin, failures: 1 });
    assert.deepEqual(pool.counts(), { total: 2, dead: 0 });
  });

  test('the wait doubles with each failure in a row, up to the cutoff, and a success clears it', () => {
    const { pool, events } = poolOf([a]);
    let now = 0;
    const waits: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const node = pool.pick(now);
      pool.failed(node, now, now);
      const event = events.at(-1);
      assert.equal(event?.kind, 'dead');
      if (event?.kind === 'dead') waits.push(event.retryInMs);
      now += event?.kind === 'dead' ? event.retryInMs : 0;
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 8000, 8000]);
    const node = pool.pick(now);
    pool.succeeded(node);
    assert.deepEqual(events.at(-1), { kind: 'alive', node: a.origin, reason: 'request_succeeded' });
    pool.failed(node, now, now);
    assert.deepEqual(events.at(-1), { kind: 'dead', node: a.origin, failures: 1, retryInMs: 1000 });
  });

  test('requests already in flight when a node died do not count as more failures', () => {
    const { pool, events } = poolOf([a, b]);
    const node = pool.pick(0);
    pool.failed(node, 0, 10);
    pool.failed(node, 5, 20); // sent at 5, before it was marked dead at 10
    pool.failed(node, 9, 30);
    assert.equal(events.filter((e) => e.kind === 'dead').length, 1);
  });

  test('with every node dead, one is still tried, the one that failed least', () => {
    const { pool } = poolOf([a, b]);
    pool.failed(pickNode(pool, a), 0, 0);
    pool.failed(pickNode(pool, b), 0, 0);
    const tried = pool.pick(10);
    assert.equal(tried.origin, a.origin, 'a tie: the first one');
    pool.failed(tried, 10, 10); // sent while dead: counts, a now has 2 failures
    assert.deepEqual(pool.counts(), { total: 2, dead: 2 });
    assert.deepEqual(picks(pool, 3, 20), [b.origin, b.origin, b.origin]);
  });

  test('a success of a dead node tried anyway brings it back at once', () => {
    const { pool, events } = poolOf([a]);
    const node = pool.pick(0);
    pool.failed(node, 0, 0);
    const tried = pool.pick(10);
    assert.equal(tried, node);
    pool.succeeded(tried);
    assert.deepEqual(pool.counts(), { total: 1, dead: 0 });
    assert.deepEqual(events.at(-1), { kind: 'alive', node: a.origin, reason: 'request_succeeded' });
  });

  test('answers of healthy nodes change nothing and report nothing', () => {
    const { pool, events } = poolOf([a, b]);
    for (let i = 0; i < 4; i += 1) pool.succeeded(pool.pick(i));
    assert.deepEqual(events, []);
  });
});

describe('NodePool: the dead-percentage rule', () => {
  test('dead share rounded down, as the Go indexer computes it', () => {
    const { pool } = poolOf([a, b, c]);
    pool.failed(pool.pick(0), 0, 0);
    assert.equal(pool.deadPercentage(), 33);
    assert.equal(pool.tooManyDead(20), true);
    assert.equal(pool.tooManyDead(33), true, 'at the maximum: rediscover (the Go check is "below")');
    assert.equal(pool.tooManyDead(34), false);
  });

  test('nothing dead never triggers it, even with a maximum of 0', () => {
    const { pool } = poolOf([a, b]);
    assert.equal(pool.tooManyDead(0), false);
    pool.failed(pool.pick(0), 0, 0);
    assert.equal(pool.tooManyDead(0), true);
    assert.equal(pool.tooManyDead(100), false);
  });
});

describe('NodePool: discovery', () => {
  test('new nodes join; a seed the cluster lists under its own address stays one node', () => {
    const { pool, events } = poolOf([a]);
    pool.applyDiscovery([new URL('http://10.0.0.1:9200'), b], 0);
    assert.deepEqual(pool.origins, [a.origin, b.origin]);
    assert.deepEqual(events, [{ kind: 'added', node: b.origin, reason: 'discovered' }]);
  });

  test('a seed the cluster never listed (a load balancer, another name) leaves once a listed node is alive', () => {
    const lb = new URL('http://search.example:9200');
    const { pool, events } = poolOf([lb]);
    pool.applyDiscovery([a, b], 0);
    assert.deepEqual(pool.origins, [a.origin, b.origin]);
    assert.deepEqual(events.at(-1), { kind: 'removed', node: lb.origin, reason: 'unlisted' });
  });

  test('when every discovered node is dead, the seeds come back', () => {
    const lb = new URL('http://search.example:9200');
    const { pool, events } = poolOf([lb]);
    pool.applyDiscovery([a], 0);
    pool.failed(pool.pick(0), 0, 0);
    assert.equal(pool.pick(1).origin, lb.origin);
    assert.deepEqual(events.at(-1), { kind: 'added', node: lb.origin, reason: 'fallback' });
    // Discovery listing only the dead node then keeps the seed: no listed node is alive.
    pool.applyDiscovery([a], 2);
    assert.deepEqual(pool.origins, [a.origin, lb.origin]);
  });

  test('a node that left the cluster stays (dead) for the grace time, then leaves', () => {
    const { pool, events } = poolOf([a, b]);
    pool.applyDiscovery([a, b], 0);
    pool.failed(pickNode(pool, b), 0, 0);
    pool.applyDiscovery([a], 1000);
    assert.deepEqual(pool.origins, [a.origin, b.origin], 'still there within the grace time');
    pool.applyDiscovery([a], 11_000);
    assert.deepEqual(pool.origins, [a.origin]);
    assert.deepEqual(events.at(-1), { kind: 'removed', node: b.origin, reason: 'unlisted' });
  });

  test('a dead node that left the cluster and is listed again restarted: it rejoins at once', () => {
    const { pool, events } = poolOf([a, b]);
    pool.applyDiscovery([a, b], 0);
    pool.failed(pickNode(pool, b), 0, 0);
    pool.applyDiscovery([a, b], 10); // listed while dead: stays dead (retry time not come)
    assert.deepEqual(pool.counts(), { total: 2, dead: 1 });
    pool.applyDiscovery([a], 20); // gone from the cluster
    assert.deepEqual(pool.counts(), { total: 2, dead: 1 });
    pool.applyDiscovery([a, b], 30); // back
    assert.deepEqual(pool.counts(), { total: 2, dead: 0 });
    assert.deepEqual(events.at(-1), { kind: 'alive', node: b.origin, reason: 'rejoined_cluster' });
    assert.ok(picks(pool, 2, 40).includes(b.origin));
  });

  test('a dead node the cluster lists waits no longer than the first wait since its last failure', () => {
    const { pool } = poolOf([a, b]);
    pool.applyDiscovery([a, b], 0);
    // The whole cluster away: each node fails 5 times in a row, its wait grows to 8 s.
    for (let round = 0; round < 5; round += 1) {
      const now = round * 10_000; // past every wait: both back on trial
      pool.failed(pickNode(pool, a, now), now, now);
      pool.failed(pickNode(pool, b, now), now, now);
    }
    const t = 40_000; // the last failures; both retried at 48 s
    const tried = pool.pick(t + 500); // all dead: one is tried anyway (a, the first of a tie)
    assert.equal(tried.origin, a.origin);
    pool.succeeded(tried);
    assert.deepEqual(picks(pool, 2, t + 1000), [a.origin, a.origin], 'b waits its 8 s');
    pool.applyDiscovery([a, b], t + 1000); // the cluster lists b: a member
    assert.ok(picks(pool, 2, t + 1000).includes(b.origin), 'b is tried 1 s after its last failure');
  });

  test('an empty listing changes nothing', () => {
    const { pool, events } = poolOf([a]);
    pool.applyDiscovery([], 0);
    assert.deepEqual(pool.origins, [a.origin]);
    assert.deepEqual(events, []);
  });

  test('a removed node reports nothing more', () => {
    const { pool, events } = poolOf([a]);
    pool.applyDiscovery([a, b], 0);
    const node = pickNode(pool, b);
    pool.applyDiscovery([a], 0);
    pool.applyDiscovery([a], 20_000);
    assert.deepEqual(pool.origins, [a.origin]);
    const count = events.length;
    pool.failed(node, 30_000, 30_000);
    pool.succeeded(node);
    assert.equal(events.length, count);
  });

  test('candidates: alive nodes first, then dead ones, then seeds no longer in the pool', () => {
    const lb = new URL('http://search.example:9200');
    const { pool } = poolOf([lb]);
    pool.applyDiscovery([a, b], 0);
    pool.failed(pickNode(pool, a), 0, 0);
    assert.deepEqual(
      pool.candidates(1).map((u) => u.origin),
      [b.origin, a.origin, lb.origin],
    );
  });
});
