// Commits one at a time, of owned partitions only, and once more after a stale member epoch.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { CommitQueue, type CommitDeps } from '../../../src/kafka/reading/commits.js';
import type { CommitPosition } from '../../../src/records.js';

type Offsets = { offsets: (CommitPosition & { leaderEpoch: number })[] };

/** A client whose commits wait until the test answers them, in any order it likes. */
function client() {
  const calls: { offsets: Offsets['offsets']; answer: (error?: Error) => void }[] = [];
  const events = new EventEmitter();
  return {
    calls,
    events,
    client: {
      commit: (options: Offsets) =>
        new Promise<void>((resolve, reject) =>
          calls.push({ offsets: options.offsets, answer: (error) => (error ? reject(error) : resolve()) }),
        ),
      on: (name: string, listener: () => void) => events.on(name, listener),
      off: (name: string, listener: () => void) => events.off(name, listener),
    },
  };
}

/** A queue on `client`, with every other dependency at its plain default unless given. */
function queueOf(client: unknown, deps: Partial<Omit<CommitDeps, 'client'>> = {}): CommitQueue {
  return new CommitQueue({
    client: client as CommitDeps['client'],
    owns: () => true,
    settling: () => false,
    rejoin: () => undefined,
    stuckMs: 60_000,
    heartbeatWaitMs: 1000,
    committed: () => undefined,
    ...deps,
  });
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const at = (partition: number, offset: bigint): CommitPosition => ({ topic: 't', partition, offset });

describe('CommitQueue', () => {
  test('a commit is sent only once the one before it is answered: an older one never lands after a newer', async () => {
    const { calls, client: c } = client();
    let committed = 0;
    const queue = queueOf(c, {
      committed: () => (committed += 1),
    });
    const first = queue.commit([at(0, 10n)]);
    const second = queue.commit([at(0, 20n)]);
    await settle();
    assert.equal(calls.length, 1, 'the second waits for the first');
    calls[0]?.answer(new Error('coordinator moved'));
    await assert.rejects(first, /coordinator moved/);
    await settle();
    assert.equal(calls.length, 2);
    assert.equal(calls[1]?.offsets[0]?.offset, 20n);
    calls[1]?.answer();
    await second;
    assert.equal(committed, 1);
  });

  test('partitions not owned when the commit is sent are left out, and said so; nothing owned, nothing sent', async () => {
    const { calls, client: c } = client();
    const owned = new Set([0]);
    const queue = queueOf(c, {
      owns: (_topic, partition) => owned.has(partition),
    });
    const both = queue.commit([at(0, 5n), at(1, 7n)]);
    await settle();
    assert.deepEqual(
      calls[0]?.offsets.map((o) => [o.partition, o.offset]),
      [[0, 5n]],
    );
    calls[0]?.answer();
    assert.deepEqual(await both, [at(0, 5n)], 'resolves with what was sent');
    owned.clear();
    assert.deepEqual(await queue.commit([at(0, 9n)]), []);
    assert.equal(calls.length, 1);
  });

  test('a position reached under a lease that has ended is left out, even with its partition owned again', async () => {
    const { calls, client: c } = client();
    const queue = queueOf(c);
    const lease = { topic: 't', topicId: 'id', partition: 0, ended: false };
    const current = { topic: 't', topicId: 'id', partition: 1, ended: false };
    const asked = queue.commit([
      { ...at(0, 5n), lease },
      { ...at(1, 7n), lease: current },
    ]);
    lease.ended = true; // revoked (and assigned back) before the commit was sent
    await settle();
    assert.deepEqual(
      calls[0]?.offsets.map((o) => [o.partition, o.offset]),
      [[1, 7n]],
    );
    calls[0]?.answer();
    assert.deepEqual(
      (await asked).map((p) => p.partition),
      [1],
    );
  });

  test('what was sent is what every read of the offsets had: a partition owned only by the time the answer came is not reported', async () => {
    const owned = new Set([0]);
    const reads: number[][] = [];
    // As @platformatic/kafka does: reads the offsets to check and to build the request, then again after the answer.
    const answering = {
      commit: (options: Offsets) => {
        reads.push(options.offsets.map((o) => o.partition));
        reads.push(options.offsets.map((o) => o.partition));
        owned.add(1); // the SyncGroup answer came while the commit was on its way
        reads.push(options.offsets.map((o) => o.partition));
        return Promise.resolve();
      },
      on: () => undefined,
      off: () => undefined,
    };
    const queue = queueOf(answering, {
      owns: (_topic, partition) => owned.has(partition),
    });
    const sent = await queue.commit([at(0, 5n), at(1, 7n)]);
    assert.deepEqual(reads, [[0], [0], [0, 1]]);
    assert.deepEqual(sent, [at(0, 5n)]);
  });

  test('asked while the group settles: waits for the assignment, then sends what is owned in it', async () => {
    const { calls, events, client: c } = client();
    let settling = true;
    const owned = new Set([0, 1]);
    let rejoins = 0;
    const queue = queueOf(c, {
      owns: (_topic, partition) => !settling && owned.has(partition),
      settling: () => settling,
      rejoin: () => (rejoins += 1),
      stuckMs: 0,
      heartbeatWaitMs: 60_000,
    });
    const asked = queue.commit([at(0, 5n), at(1, 7n)]);
    await settle();
    assert.equal(calls.length, 0, 'nothing sent while the assignment is on its way');
    owned.delete(1);
    settling = false;
    events.emit('consumer:group:join');
    await settle();
    assert.deepEqual(
      calls[0]?.offsets.map((o) => [o.partition, o.offset]),
      [[0, 5n]],
    );
    calls[0]?.answer();
    assert.deepEqual(await asked, [at(0, 5n)]);
    assert.equal(rejoins, 0);
  });

  test('still settling after the wait: nothing is sent; once settling has lasted stuckMs (the join failed), a rejoin is asked', async () => {
    const { calls, client: c } = client();
    let rejoins = 0;
    const make = (stuckMs: number) =>
      queueOf(c, {
        owns: () => false,
        settling: () => true,
        rejoin: () => (rejoins += 1),
        stuckMs,
        heartbeatWaitMs: 5,
      });
    const patient = make(60_000);
    assert.deepEqual(await patient.commit([at(0, 5n)]), []);
    assert.deepEqual(await patient.commit([at(0, 5n)]), []);
    assert.equal(rejoins, 0, 'a join may take a few seconds');
    const stuck = make(0);
    assert.deepEqual(await stuck.commit([at(0, 5n)]), []);
    assert.equal(calls.length, 0);
    assert.equal(rejoins, 1);
  });

  test('a stale member epoch (KIP-848) is committed again after the next heartbeat, without what was revoked meanwhile', async () => {
    const { calls, events, client: c } = client();
    const owned = new Set([0, 1]);
    const queue = queueOf(c, {
      owns: (_topic, partition) => owned.has(partition),
      heartbeatWaitMs: 60_000,
    });
    const done = queue.commit([at(0, 5n), at(1, 7n)]);
    await settle();
    const stale = Object.assign(new Error('stale'), {
      findBy: (property: string, value: unknown) =>
        property === 'apiId' && value === 'STALE_MEMBER_EPOCH' ? {} : undefined,
    });
    calls[0]?.answer(stale);
    await settle();
    owned.delete(1); // revoked by the heartbeat that brings the new epoch
    events.emit('consumer:heartbeat:end');
    await settle();
    assert.deepEqual(
      calls[1]?.offsets.map((o) => [o.partition, o.offset]),
      [[0, 5n]],
    );
    calls[1]?.answer();
    await done;
  });

  test("the client's own retry after a rejoin sends only what is owned then, not the revoked partition's old position", async () => {
    const owned = new Set([0, 1]);
    const sent: [number, bigint][][] = [];
    // As @platformatic/kafka does: ILLEGAL_GENERATION, rejoin (the rebalance revokes partition 1), the same options again.
    const retrying = {
      commit: (options: Offsets) => {
        sent.push(options.offsets.map((o) => [o.partition, o.offset]));
        owned.delete(1);
        sent.push(options.offsets.map((o) => [o.partition, o.offset]));
        return Promise.resolve();
      },
      on: () => undefined,
      off: () => undefined,
    };
    const queue = queueOf(retrying, {
      owns: (_topic, partition) => owned.has(partition),
    });
    await queue.commit([at(0, 5n), at(1, 7n)]);
    assert.deepEqual(sent, [
      [
        [0, 5n],
        [1, 7n],
      ],
      [[0, 5n]],
    ]);
  });
});
