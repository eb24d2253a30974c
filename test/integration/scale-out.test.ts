// Scaling out and in while sessions flow: indexer processes join and leave one consumer group
// (KIP-848, KAFKA_CONSUMER_INCREMENTAL_REBALANCE=true) on a 6-partition topic, 1 → 3 → 2 (SIGTERM)
// → 3 → 1 (SIGKILL and SIGTERM). Kafka assigns the partitions; nothing of ours coordinates. Every
// session must be stored exactly once by _id, and the indexers may not count more acknowledgements
// than the cluster made versions; the rebalances and the pauses they cause are printed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, ProduceAcks, Producer } from '@platformatic/kafka';
import type { KafkaBroker } from '../../stack/kafka-broker.js';
import { arkimeMessages, copiesOf, readSessions } from '../../stack/arkime.js';
import { endOffsets } from '../../stack/kafka-topics.js';
import { call } from '../../stack/search-client.js';
import { indexerRun, startIndexer, type IndexerProcess } from '../helpers/indexer.js';
import { ownKafkaBroker, required, useStack } from '../helpers/stack.js';

const partitions = 6;
/** Messages a second, spread round-robin over the partitions; one session each (bulk1). */
const rate = 100;
const tickMs = 100;

// KIP-848 takes its timing from the broker, not the client: members learn of a change at their
// next heartbeat, and a crashed member is dropped after the group session timeout (defaults 5 s
// and 45 s, the session's minimum also 45 s). This broker uses 500 ms and 6 s (KAFKA_SESSION_TIMEOUT's
// default), so that the crash fits the test's time; docs/scaling.md gives the figures for both.
const groupTiming = {
  'group.consumer.heartbeat.interval.ms': '500',
  'group.consumer.min.heartbeat.interval.ms': '500',
  'group.consumer.session.timeout.ms': '6000',
  'group.consumer.min.session.timeout.ms': '6000',
};

/** Produces `rate` messages a second, acknowledged by the broker, until stopped or out of messages. */
class SteadyStream {
  produced = 0;
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;

  constructor(
    bootstrap: string,
    private readonly topic: string,
    private readonly values: Buffer[],
  ) {
    this.producer = new Producer({ clientId: 'test-stream', bootstrapBrokers: [bootstrap] });
  }

  start(): void {
    this.running = (async () => {
      const perTick = (rate * tickMs) / 1000;
      while (!this.stopped && this.produced < this.values.length) {
        const next = performance.now() + tickMs;
        const end = Math.min(this.values.length, this.produced + perTick);
        const messages = this.values
          .slice(this.produced, end)
          .map((value, k) => ({ topic: this.topic, value, partition: (this.produced + k) % partitions }));
        await this.producer.send({ messages, acks: ProduceAcks.ALL });
        this.produced = end;
        await sleep(Math.max(0, next - performance.now()));
      }
    })();
  }

  async stop(): Promise<number> {
    this.stopped = true;
    await this.running;
    await this.producer.close();
    return this.produced;
  }
}

interface Member {
  name: string;
  indexer: IndexerProcess;
  alive: boolean;
  /** Its indexed_documents_total, last read before it left (or at the end, for the survivor). */
  acknowledged: number;
}

interface AssignmentLine {
  time: string;
  partitions: number[];
}

function assignmentLines(member: Member): AssignmentLine[] {
  return member.indexer.lines.filter(
    (l) => l['msg'] === 'partition assignment changed',
  ) as unknown as AssignmentLine[];
}

/** Partition → the live member owning it, as each member last logged its assignment. */
function owners(members: Member[]): Map<number, string[]> {
  const byPartition = new Map<number, string[]>();
  for (const m of members.filter((m) => m.alive)) {
    for (const p of assignmentLines(m).at(-1)?.partitions ?? []) {
      byPartition.set(p, [...(byPartition.get(p) ?? []), m.name]);
    }
  }
  return byPartition;
}

/**
 * Every partition owned by exactly one live member, and the members balanced (the broker's
 * uniform assignor gives each the same share, give or take one): the group has settled.
 */
function settled(members: Member[]): boolean {
  const byPartition = owners(members);
  const shares = members
    .filter((m) => m.alive)
    .map((m) => [...byPartition.values()].filter((o) => o.includes(m.name)).length);
  return (
    byPartition.size === partitions &&
    [...byPartition.values()].every((o) => o.length === 1) &&
    Math.max(...shares) - Math.min(...shares) <= 1
  );
}

interface ScaleEvent {
  label: string;
  at: number;
  settledAt: number;
  before: Map<number, string[]>;
  after: Map<number, string[]>;
  joined: string[];
  left: string[];
  /** Assignment changes the members logged between the event and the settled group. */
  changes: number;
}

describe('scaling out and in across indexer instances', () => {
  let url: string;
  let broker: KafkaBroker;

  before(async () => {
    url = required((await useStack('opensearch')).opensearch, 'opensearch').url;
    broker = await ownKafkaBroker('scale', { properties: groupTiming });
    await broker.start();
  });

  after(() => broker.stop());

  test('1 → 3 → 2 (SIGTERM) → 3 → 1 (SIGKILL) while sessions flow: every session indexed exactly once', async (t) => {
    const bootstrap = broker.bootstrap();
    const run = await indexerRun(t, {
      bootstrap,
      url,
      name: 'arkime_scale',
      partitions,
      failureTopic: false,
    });
    const { prefix, topic, group } = run;
    const day = readSessions().filter((s) => s.index.endsWith('-250124'));
    const sessions = copiesOf(day, 50, 'scale'); // 8,850: more than the run can produce at `rate`
    // The index and its mapping exist before the stream starts: creating them from the sessions'
    // first fields takes seconds on a small node, which is not what this test measures.
    const warmUp = copiesOf(day, 1, 'warm');
    await bulk(url, arkimeMessages(warmUp, 'bulk', prefix));

    const env = {
      ...run.env,
      KAFKA_CONSUMER_INCREMENTAL_REBALANCE: 'true',
      ELASTIC_INDEXER_INSTANCES: '2',
      BULKER_MAX_MESSAGES: '50',
      ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '1s',
      LOG_LEVEL: 'info',
    };
    const members: Member[] = [];
    let count = 0;
    const startMember = async (): Promise<Member> => {
      const indexer = await startIndexer(t, env);
      const member = { name: `i${++count}`, indexer, alive: true, acknowledged: 0 };
      members.push(member);
      return member;
    };
    const events: ScaleEvent[] = [];
    const scale = async (label: string, change: () => Promise<Member[]>): Promise<void> => {
      const before = owners(members);
      const alive = new Set(members.filter((m) => m.alive).map((m) => m.name));
      const at = Date.now();
      const joined = await change();
      const deadline = Date.now() + 30_000;
      while (!settled(members)) {
        if (Date.now() > deadline) {
          const state = members.map(
            (m) => `${m.name} ${m.alive}: ${assignmentLines(m).at(-1)?.partitions.join(',')}`,
          );
          assert.fail(`${label}: the group did not settle in 30 s; ${state.join('; ')}`);
        }
        await sleep(50);
      }
      const settledAt = Date.now();
      const changes = members
        .flatMap(assignmentLines)
        .filter((l) => Date.parse(l.time) >= at && Date.parse(l.time) <= settledAt).length;
      const left = [...alive].filter((name) => !members.find((m) => m.name === name)?.alive);
      events.push({
        label,
        at,
        settledAt,
        before,
        after: owners(members),
        joined: joined.map((m) => m.name),
        left,
        changes,
      });
      // A steady stretch between rebalances: every partition's commit moves on under the new owners.
      const atSettle = await progress.committed();
      await required(members[0], 'the first member').indexer.waitFor(
        `${label}: every partition moving`,
        async () => (await progress.committed()).every((c, p) => c > (atSettle[p] ?? -1n)),
        30_000,
      );
    };
    const leave = async (member: Member, signal: NodeJS.Signals): Promise<void> => {
      member.acknowledged = await member.indexer.metric('indexed_documents_total');
      member.alive = false;
      void member.indexer.stop(signal);
    };

    const stream = new SteadyStream(bootstrap, topic, arkimeMessages(sessions, 'bulk1', prefix));
    const progress = new Progress(bootstrap, group, topic);
    stream.start();
    progress.start();
    await scale('start: 0 → 1', async () => [await startMember()]);
    await scale('1 → 3', () => Promise.all([startMember(), startMember()]));
    const [, second, third] = members as [Member, Member, Member];
    await scale('3 → 2 (SIGTERM)', async () => (await leave(second, 'SIGTERM'), []));
    await scale('2 → 3', async () => [await startMember()]);
    const fourth = members[3] as Member;
    await scale('3 → 1 (SIGKILL one, SIGTERM one)', async () => {
      await Promise.all([leave(third, 'SIGKILL'), leave(fourth, 'SIGTERM')]);
      return [];
    });
    const produced = await stream.stop();
    const stoppedAt = Date.now();
    const survivor = members[0] as Member;
    // Everything is indexed once every partition's commit reaches its end (the group commits an
    // offset only when all before it is stored).
    const ends = await endOffsets(bootstrap, topic);
    await survivor.indexer.waitFor('every produced session committed', async () => {
      const committed = await progress.committed();
      return ends.every((end, p) => (committed[p] ?? -1n) >= end);
    });
    const drainedMs = Date.now() - stoppedAt;
    await progress.stop();
    survivor.acknowledged = await survivor.indexer.metric('indexed_documents_total');
    const stored = await storedDocuments(url, prefix);
    const expected = new Set([...warmUp, ...sessions.slice(0, produced)].map((s) => s.id));
    assert.equal(await survivor.indexer.stop(), 0, survivor.indexer.output.slice(-2000));
    assert.equal(await second.indexer.exited, 0, 'the instance stopped with SIGTERM left cleanly');
    assert.equal(await fourth.indexer.exited, 0, 'the instance stopped with SIGTERM left cleanly');

    // Exactly once: each produced session's _id stored once (in one index), none missing, nothing else.
    assert.equal(stored.length, expected.size, 'as many documents as sessions produced');
    assert.deepEqual(new Set(stored.map((d) => d.id)), expected);

    // Each successful write of a document raises its _version; the indexers count the writes the
    // cluster acknowledged to them. They may have missed counting some (a member killed before it
    // read its answer, writes after a member's last reading), never claim more than were made.
    const warmIds = new Set(warmUp.map((s) => s.id));
    const streamed = stored.filter((d) => !warmIds.has(d.id));
    const writes = streamed.reduce((sum, d) => sum + d.version, 0);
    const acknowledged = members.reduce((sum, m) => sum + m.acknowledged, 0);
    assert.ok(acknowledged <= writes, `${acknowledged} acknowledgements counted, ${writes} writes made`);
    // Not asserted per member: a member's count is read before it is stopped, and one that got its
    // partitions shortly before indexes them while it drains, after the reading (seen: 0 read).
    console.log(`# acknowledged per member: ${members.map((m) => `${m.name} ${m.acknowledged}`).join(', ')}`);
    assert.ok(
      warmUp.every((s) => stored.find((d) => d.id === s.id)?.version === 1),
      'warm-up written once',
    );
    report(events, progress, streamed, produced, members);
    console.log(
      `# ${acknowledged} acknowledgements counted by the members, ${writes} writes (versions) stored`,
    );
    console.log(
      `# every session committed ${drainedMs} ms after the stream stopped; ${progress.samples.length} progress samples`,
    );
    for (const event of events.slice(1)) assertOnlyWhatMustMove(event, members);
  });
});

/** The incremental promise, checked on each change from the members' own assignment logs. */
function assertOnlyWhatMustMove(event: ScaleEvent, members: Member[]): void {
  for (let p = 0; p < partitions; p++) {
    const [was] = event.before.get(p) ?? [];
    const [now] = event.after.get(p) ?? [];
    // Only what must move moves: a partition changes hands only from a member that left or
    // to one that joined.
    if (was !== now) {
      assert.ok(
        event.left.includes(was ?? '') || event.joined.includes(now ?? ''),
        `${event.label}: partition ${p} moved from ${was} to ${now}, neither of which joined or left`,
      );
    }
    // Members keep what they keep: no partition is revoked from the member that owns it
    // after the rebalance (an eager rebalance revokes everything, then assigns again).
    if (was === now && now !== undefined) {
      const member = members.find((m) => m.name === now) as Member;
      const revokedMeanwhile = assignmentLines(member).some(
        (l) =>
          Date.parse(l.time) >= event.at &&
          Date.parse(l.time) <= event.settledAt &&
          !l.partitions.includes(p),
      );
      assert.ok(!revokedMeanwhile, `${event.label}: partition ${p} was taken from ${now} and given back`);
    }
  }
}

/**
 * Samples the group's committed offset of each partition four times a second: a partition pauses
 * while its committed offset stands still. The indexers commit once a second, so that is the
 * resolution; searching the cluster this often would load it more than the indexers do.
 */
class Progress {
  readonly samples: { at: number; committed: bigint[] }[] = [];
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly reader: Consumer<Buffer, Buffer, Buffer, Buffer>;

  constructor(
    bootstrap: string,
    group: string,
    private readonly topic: string,
  ) {
    // Only reads the group's commits (OffsetFetch); it never joins the group.
    this.reader = new Consumer({ clientId: 'test-progress', groupId: group, bootstrapBrokers: [bootstrap] });
  }

  async committed(): Promise<bigint[]> {
    const offsets = await this.reader.listCommittedOffsets({
      topics: [{ topic: this.topic, partitions: [...Array(partitions).keys()] }],
    });
    return offsets.get(this.topic) ?? [];
  }

  start(): void {
    this.running = (async () => {
      while (!this.stopped) {
        const next = performance.now() + 250;
        this.samples.push({ at: Date.now(), committed: await this.committed() });
        await sleep(Math.max(0, next - performance.now()));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await this.reader.close(true);
  }

  /** [from, to] of each stretch in which the partition's committed offset stood still, from its first commit. */
  private stills(partition: number): [number, number][] {
    const stretches: [number, number][] = [];
    let movedAt: number | undefined;
    let last = -1n;
    for (const { at, committed } of this.samples) {
      const offset = committed[partition] ?? -1n;
      if (offset <= last) continue;
      if (movedAt !== undefined) stretches.push([movedAt, at]);
      [movedAt, last] = [at, offset];
    }
    return stretches;
  }

  /** The median time between two moves of a partition's committed offset: the steady pace. */
  medianMoveInterval(): number {
    const intervals = [...Array(partitions).keys()]
      .flatMap((p) => this.stills(p).map(([a, b]) => b - a))
      .sort((a, b) => a - b);
    return intervals[Math.floor(intervals.length / 2)] ?? 0;
  }

  /** The longest time, overlapping [from, to], that the partition's committed offset stood still. */
  longestPause(partition: number, from: number, to: number): number {
    const overlapping = this.stills(partition).filter(([a, b]) => b >= from && a <= to);
    return Math.max(0, ...overlapping.map(([a, b]) => b - a));
  }
}

async function bulk(url: string, bodies: Buffer[]): Promise<void> {
  for (const body of bodies) {
    const response = await fetch(`${url}/_bulk?refresh=wait_for`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    const result = (await response.json()) as { errors: boolean };
    assert.equal(result.errors, false, 'the warm-up sessions are indexed');
  }
}

interface StoredDocument {
  id: string;
  version: number;
}

async function storedDocuments(url: string, prefix: string): Promise<StoredDocument[]> {
  await call('POST', `${url}/${prefix}-*/_refresh`);
  const result = (await call('POST', `${url}/${prefix}-*/_search`, {
    size: 10_000,
    version: true,
    _source: false,
    query: { match_all: {} },
  })) as { hits: { hits: { _id: string; _version: number }[] } };
  return result.hits.hits.map((h) => ({ id: h._id, version: h._version }));
}

function report(
  events: ScaleEvent[],
  progress: Progress,
  streamed: StoredDocument[],
  produced: number,
  members: Member[],
): void {
  const indexedAgain = streamed.filter((d) => d.version > 1).length;
  const changes = members.flatMap(assignmentLines).length;
  console.log(
    `# scale-out: ${produced} sessions produced at ${rate}/s over ${partitions} partitions, ${streamed.length} stored, ` +
      `${indexedAgain} of them indexed more than once (overwritten by _id); ${changes} assignment changes in all; ` +
      `a partition's committed offset moved every ${progress.medianMoveInterval()} ms (median)`,
  );
  for (const e of events) {
    const moved = [...Array(partitions).keys()].filter((p) => e.before.get(p)?.[0] !== e.after.get(p)?.[0]);
    const kept = [...Array(partitions).keys()].filter((p) => !moved.includes(p) && e.before.has(p));
    const pause = (ps: number[]): number =>
      Math.max(0, ...ps.map((p) => progress.longestPause(p, e.at, e.settledAt)));
    console.log(
      `# ${e.label}: settled in ${e.settledAt - e.at} ms, ${e.changes} assignment changes, ` +
        `${moved.length} partitions moved (longest pause ${pause(moved)} ms), ` +
        `${kept.length} kept (longest pause ${pause(kept)} ms)`,
    );
  }
}
