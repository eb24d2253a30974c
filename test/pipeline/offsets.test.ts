import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OffsetTracker } from '../../src/pipeline/offsets.js';
import type { CommitPosition, Lease } from '../../src/records.js';

const topic = 'arkime-sessions';

// The lease each partition is read under: a new one after `endLease`, as the consumer does when a
// partition is revoked, its topic recreated or its log truncated.
const leases = new Map<string, Lease>();
function leaseOf(t: string, partition: number): Lease {
  let lease = leases.get(`${t}:${partition}`);
  if (lease === undefined || lease.ended) {
    lease = { topic: t, topicId: 'id-1', partition, ended: false };
    leases.set(`${t}:${partition}`, lease);
  }
  return lease;
}
function endLease(t: string, partition: number): void {
  leaseOf(t, partition).ended = true;
}
const message = (t: string, partition: number, offset: bigint, timestamp = -1) => ({
  topic: t,
  topicId: 'id-1',
  partition,
  offset,
  value: Buffer.alloc(0),
  lease: leaseOf(t, partition),
  timestamp,
  logAppendTime: false,
});
const recv = (tracker: OffsetTracker, t: string, partition: number, offset: bigint): boolean =>
  tracker.received(message(t, partition, offset));
const done = (tracker: OffsetTracker, t: string, partition: number, offset: bigint): void =>
  tracker.completed(message(t, partition, offset));

function receivedRange(tracker: OffsetTracker, partition: number, from: number, to: number, t = topic): void {
  for (let offset = from; offset <= to; offset += 1) recv(tracker, t, partition, BigInt(offset));
}

/** The position, with the lease it was reached under: the partition's current one. */
const position = (partition: number, offset: number, t = topic): CommitPosition => ({
  topic: t,
  partition,
  offset: BigInt(offset),
  leaderEpoch: -1,
  lease: leaseOf(t, partition),
});

const sorted = (positions: CommitPosition[]): CommitPosition[] =>
  [...positions].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);

describe('one partition', () => {
  test('nothing is committable before a message completes', () => {
    const tracker = new OffsetTracker();
    receivedRange(tracker, 0, 0, 4);
    assert.deepEqual(tracker.committable(), []);
  });

  test('out-of-order completions commit only up to the first gap, one past the last done', () => {
    const tracker = new OffsetTracker();
    receivedRange(tracker, 0, 0, 4);
    done(tracker, topic, 0, 2n);
    assert.deepEqual(tracker.committable(), [], 'offset 0 is not done yet');
    done(tracker, topic, 0, 0n);
    assert.deepEqual(tracker.committable(), [position(0, 1)]);
    done(tracker, topic, 0, 4n);
    assert.deepEqual(tracker.committable(), [position(0, 1)], 'offsets 1 and 3 hold it back');
    done(tracker, topic, 0, 1n);
    assert.deepEqual(tracker.committable(), [position(0, 3)]);
    done(tracker, topic, 0, 3n);
    assert.deepEqual(tracker.committable(), [position(0, 5)]);
  });

  test('offsets need not be contiguous (compacted topics, transaction markers)', () => {
    const tracker = new OffsetTracker();
    for (const offset of [100n, 103n, 110n]) recv(tracker, topic, 0, offset);
    done(tracker, topic, 0, 103n);
    done(tracker, topic, 0, 100n);
    assert.deepEqual(tracker.committable(), [position(0, 104)]);
    done(tracker, topic, 0, 110n);
    assert.deepEqual(tracker.committable(), [position(0, 111)]);
  });

  test('committable() only returns a position again once it has moved past what was committed', () => {
    const tracker = new OffsetTracker();
    receivedRange(tracker, 0, 0, 3);
    done(tracker, topic, 0, 0n);
    const first = tracker.committable();
    assert.deepEqual(tracker.committable(), first, 'nothing committed yet: still reported');
    tracker.markCommitted(first);
    assert.deepEqual(tracker.committable(), []);
    done(tracker, topic, 0, 2n);
    assert.deepEqual(tracker.committable(), [], 'offset 1 still holds it at 1');
    done(tracker, topic, 0, 1n);
    assert.deepEqual(tracker.committable(), [position(0, 3)]);
  });

  test('completing an offset that was never received, or twice, changes nothing', () => {
    const tracker = new OffsetTracker();
    receivedRange(tracker, 0, 5, 6);
    done(tracker, topic, 0, 3n);
    done(tracker, topic, 0, 7n);
    assert.deepEqual(tracker.committable(), []);
    done(tracker, topic, 0, 5n);
    done(tracker, topic, 0, 5n);
    assert.deepEqual(tracker.committable(), [position(0, 6)]);
  });

  test('thousands of messages completed in shuffled order always commit the lowest gap', () => {
    const tracker = new OffsetTracker();
    const total = 5000;
    receivedRange(tracker, 0, 0, total - 1);
    // Completions arrive shuffled within windows of 64, as batches of concurrent indexers would.
    let seed = 3;
    const order: number[] = [];
    for (let window = 0; window < total; window += 64) {
      const chunk = Array.from({ length: Math.min(64, total - window) }, (_, i) => window + i);
      for (let i = chunk.length - 1; i > 0; i -= 1) {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        const j = seed % (i + 1);
        [chunk[i], chunk[j]] = [chunk[j] as number, chunk[i] as number];
      }
      order.push(...chunk);
    }
    const completed = new Set<number>();
    let lowestOpen = 0;
    for (const offset of order) {
      done(tracker, topic, 0, BigInt(offset));
      completed.add(offset);
      while (completed.has(lowestOpen)) lowestOpen += 1;
      const expected = lowestOpen === 0 ? [] : [position(0, lowestOpen)];
      assert.deepEqual(tracker.committable(), expected, `after completing ${offset}`);
    }
  });
});

describe('several partitions and topics', () => {
  test('each partition of each topic commits on its own', () => {
    const tracker = new OffsetTracker();
    receivedRange(tracker, 0, 0, 2);
    receivedRange(tracker, 1, 10, 12);
    receivedRange(tracker, 0, 0, 2, 'other');
    done(tracker, topic, 0, 0n);
    done(tracker, topic, 1, 11n);
    done(tracker, 'other', 0, 0n);
    done(tracker, 'other', 0, 1n);
    assert.deepEqual(sorted(tracker.committable()), [position(0, 1), position(0, 2, 'other')]);
  });

  test('only the partitions that moved are returned after a commit', () => {
    const tracker = new OffsetTracker();
    receivedRange(tracker, 0, 0, 2);
    receivedRange(tracker, 1, 0, 2);
    done(tracker, topic, 0, 0n);
    done(tracker, topic, 1, 0n);
    tracker.markCommitted(tracker.committable());
    done(tracker, topic, 1, 1n);
    assert.deepEqual(tracker.committable(), [position(1, 2)]);
  });
});

describe('a lease ended (partition revoked)', () => {
  test('a forgotten partition is no longer committed, and late completions for it are ignored', () => {
    const tracker = new OffsetTracker();
    receivedRange(tracker, 0, 0, 2);
    receivedRange(tracker, 1, 0, 2);
    done(tracker, topic, 0, 0n);
    done(tracker, topic, 1, 0n);
    endLease(topic, 0);
    assert.deepEqual(tracker.committable(), [position(1, 1)]);
    done(tracker, topic, 0, 1n);
    assert.deepEqual(tracker.committable(), [position(1, 1)]);
  });

  test('a partition assigned again starts afresh from what it receives', () => {
    const tracker = new OffsetTracker();
    receivedRange(tracker, 0, 0, 5);
    done(tracker, topic, 0, 0n);
    tracker.markCommitted(tracker.committable());
    endLease(topic, 0);
    receivedRange(tracker, 0, 1, 2);
    done(tracker, topic, 0, 1n);
    assert.deepEqual(tracker.committable(), [position(0, 2)]);
  });
});

describe('messages delivered again after a rebalance', () => {
  const topic = 'spi';
  const at = (offset: number) => ({
    topic,
    partition: 0,
    offset: BigInt(offset),
    leaderEpoch: -1,
    lease: leaseOf(topic, 0),
  });

  test('a second copy of a message in flight or done never stalls the partition', () => {
    const tracker = new OffsetTracker();
    for (const offset of [0, 1, 2, 3]) recv(tracker, topic, 0, BigInt(offset));
    done(tracker, topic, 0, 0n);
    done(tracker, topic, 0, 2n);
    // The client rewinds to the last commit (nothing committed yet: offset 0) and hands out 0–3 again.
    for (const offset of [0, 1, 2, 3, 4]) recv(tracker, topic, 0, BigInt(offset));
    done(tracker, topic, 0, 1n);
    assert.deepEqual(tracker.committable(), [at(3)]);
    done(tracker, topic, 0, 3n);
    done(tracker, topic, 0, 4n);
    assert.deepEqual(tracker.committable(), [at(5)]);
  });

  test('a copy of a message already taken is reported, so that it is not indexed twice', () => {
    const tracker = new OffsetTracker();
    assert.deepEqual(
      [0, 1, 2].map((o) => recv(tracker, topic, 0, BigInt(o))),
      [true, true, true],
    );
    done(tracker, topic, 0, 0n);
    assert.deepEqual(
      [0, 1, 2, 3].map((o) => recv(tracker, topic, 0, BigInt(o))),
      [false, false, false, true],
    );
    // A partition taken away and given back starts afresh: its messages are new to this member.
    endLease(topic, 0);
    assert.equal(recv(tracker, topic, 0, 1n), true);
  });

  test('the commit position never moves backwards when copies complete', () => {
    const tracker = new OffsetTracker();
    for (const offset of [5, 6, 7]) recv(tracker, topic, 0, BigInt(offset));
    for (const offset of [5, 6, 7]) done(tracker, topic, 0, BigInt(offset));
    assert.deepEqual(tracker.committable(), [at(8)]);
    recv(tracker, topic, 0, 6n);
    done(tracker, topic, 0, 6n);
    assert.deepEqual(tracker.committable(), [at(8)]);
  });
});

describe('leases and what was read without messages', () => {
  test('offsets without a message after the last one (a transaction marker) are passed once all before is done', () => {
    const tracker = new OffsetTracker();
    const t = 'markers';
    recv(tracker, t, 0, 10n);
    recv(tracker, t, 0, 11n);
    tracker.readUpTo({ lease: leaseOf(t, 0), offset: 13n, leaderEpoch: -1 }); // 12 is the commit marker
    assert.deepEqual(tracker.committable(), []);
    done(tracker, t, 0, 11n);
    assert.deepEqual(tracker.committable(), [], 'offset 10 holds it');
    done(tracker, t, 0, 10n);
    assert.deepEqual(tracker.committable(), [position(0, 13, t)]);
    // Only markers read (an aborted transaction): committable at once.
    tracker.readUpTo({ lease: leaseOf(t, 0), offset: 20n, leaderEpoch: -1 });
    assert.deepEqual(tracker.committable(), [position(0, 20, t)]);
    assert.equal(recv(tracker, t, 0, 19n), false, 'an offset read through is a copy');
  });

  test('a message of an ended lease is neither taken nor completed, and its partition is not committed', () => {
    const tracker = new OffsetTracker();
    const t = 'revoked';
    const old = message(t, 0, 5n);
    assert.equal(tracker.received(old), true);
    endLease(t, 0);
    assert.equal(tracker.received(message(t, 0, 6n)), true, 'a new lease takes the partition afresh');
    tracker.completed(old); // a batch of the old lease finishing late
    assert.deepEqual(tracker.committable(), [], 'the old completion does not count under the new lease');
    const stale = { ...message(t, 0, 7n), lease: old.lease };
    assert.equal(tracker.received(stale), false, 'a message fetched under the ended lease is dropped');
    done(tracker, t, 0, 6n);
    assert.deepEqual(tracker.committable(), [position(0, 7, t)]);
    endLease(t, 0);
    assert.deepEqual(tracker.committable(), [], 'a partition whose lease ended is not committed');
  });

  test("a topic's next life: offset 0 again is new, not a copy of the earlier life's offset 0", () => {
    const tracker = new OffsetTracker();
    const t = 'recreated';
    for (const o of [0n, 1n, 2n]) recv(tracker, t, 0, o);
    endLease(t, 0); // the topic was found with another id
    assert.equal(recv(tracker, t, 0, 0n), true);
    done(tracker, t, 0, 0n);
    assert.deepEqual(tracker.committable(), [position(0, 1, t)]);
  });

  test('a position is committed with the leader epoch of what was read up to it (KIP-320)', () => {
    const tracker = new OffsetTracker();
    const t = 'epochs';
    recv(tracker, t, 0, 0n);
    tracker.readUpTo({ lease: leaseOf(t, 0), offset: 1n, leaderEpoch: 5 });
    done(tracker, t, 0, 0n);
    assert.deepEqual(tracker.committable(), [
      { topic: t, partition: 0, offset: 1n, leaderEpoch: 5, lease: leaseOf(t, 0) },
    ]);
  });
});

describe('seconds behind: the age of the oldest message taken and not yet done', () => {
  const seconds = (tracker: OffsetTracker, t: string, now: number) =>
    tracker
      .behind(now)
      .filter((row) => row.topic === t)
      .map((row) => [row.partition, row.seconds]);

  test('the oldest message waiting sets it, whatever completes after it; 0 once nothing waits', () => {
    const tracker = new OffsetTracker();
    const t = 'behind';
    tracker.received(message(t, 0, 0n, 1_000));
    tracker.received(message(t, 0, 1n, 2_000));
    tracker.received(message(t, 1, 0n, 4_500));
    assert.deepEqual(seconds(tracker, t, 5_000), [
      [0, 4],
      [1, 0.5],
    ]);
    done(tracker, t, 0, 1n); // a later message done first: the first still waits
    assert.deepEqual(seconds(tracker, t, 6_000), [
      [0, 5],
      [1, 1.5],
    ]);
    done(tracker, t, 0, 0n);
    done(tracker, t, 1, 0n);
    assert.deepEqual(seconds(tracker, t, 60_000), [
      [0, 0],
      [1, 0],
    ]);
  });

  test('a record without a timestamp makes its partition unknown (null), not 0 and not decades', () => {
    const tracker = new OffsetTracker();
    const t = 'no-time';
    tracker.received(message(t, 0, 0n, -1));
    assert.deepEqual(seconds(tracker, t, 5_000), [[0, null]]);
  });

  test('a clock ahead of this host reads 0, never negative; partitions of an ended lease are not listed', () => {
    const tracker = new OffsetTracker();
    const t = 'ahead';
    tracker.received(message(t, 0, 0n, 10_000));
    assert.deepEqual(seconds(tracker, t, 5_000), [[0, 0]]);
    endLease(t, 0);
    assert.deepEqual(seconds(tracker, t, 5_000), []);
  });

  test('the LogAppendTime flag of the messages is passed on', () => {
    const tracker = new OffsetTracker();
    const t = 'append';
    tracker.received({ ...message(t, 0, 0n, 1_000), logAppendTime: true });
    assert.equal(tracker.behind(3_000).find((row) => row.topic === t)?.logAppendTime, true);
  });
});
