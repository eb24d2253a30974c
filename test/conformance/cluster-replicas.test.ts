// Conformance cases that need replicas, on a three-broker cluster of the file's own
// while sessions flow: every partition's replicas and leader moved to other brokers, twice; and an
// unclean leader election that truncates logs, with the indexer reading through it and with the
// indexer restarted after it. Each case accounts for every session and reads the group's commits
// in __consumer_offsets.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import {
  electLeaders,
  describePartitions,
  reassignPartitions,
  waitReassigned,
} from '../../stack/kafka-admin.js';
import type { KafkaBroker } from '../../stack/kafka-broker.js';
import type { KafkaCluster } from '../../stack/kafka-cluster.js';
import { positionsMovedBack, readCommitHistory } from '../../stack/consumer-offsets.js';
import { endOffsets, setTopicConfig } from '../../stack/kafka-topics.js';
import { stopCleanly, type IndexerProcess, type IndexerRun } from '../helpers/indexer.js';
import { ownKafkaCluster, required, useStack } from '../helpers/stack.js';
import { clusterSettings, flowingRun, idsInTopic, sessionRecords, until, whereIn } from './cluster-run.js';
import { account, conclude, waitAccounted } from './harness.js';

describe('conformance on a three-broker cluster: replicas and leaders', { timeout: 15 * 60_000 }, () => {
  let cluster: KafkaCluster;
  let url: string;

  before(async () => {
    const [search, kafka] = await Promise.all([useStack('opensearch'), ownKafkaCluster('conformance')]);
    url = required(search.opensearch, 'opensearch').url;
    cluster = kafka;
    await cluster.start();
  });
  after(() => cluster.stop());

  /** Waits until every partition's committed offset has moved past where it stands now. */
  async function movingOn(run: IndexerRun, what: string): Promise<void> {
    const now = await run.committed();
    await until(`${what}: every partition's commit moving on`, async () =>
      (await run.committed()).every((c, p) => c > (now[p] ?? -1n)) ? true : undefined,
    );
  }

  test('partition reassignment mid-stream: every partition moved to other brokers and its leader with it, twice', async (t) => {
    const bootstrap = cluster.bootstrap;
    const partitions = 6;
    // Each partition on nodes 1 and 2, led by one of them; node 3 holds none.
    const replication = { replicas: 2, minInSync: 1, leaders: [1, 2, 1, 2, 1, 2] };
    const { run, indexer, flow, to } = await flowingRun(t, {
      bootstrap,
      url,
      name: 'conf_reassign',
      partitions,
      replication,
    });
    const start = await describePartitions(bootstrap, run.topic);
    // Round 1: each partition leaves the node leading it for node 3, which then leads it.
    await reassignPartitions(
      bootstrap,
      run.topic,
      start.map((p) => ({
        partition: p.partition,
        replicas: [3, ...p.replicas.filter((r) => r !== p.leader)],
      })),
    );
    const round1 = await waitReassigned(bootstrap, run.topic);
    assert.deepEqual(
      round1.map((p) => p.leader),
      start.map(() => 3),
      'node 3 leads every partition',
    );
    await movingOn(run, 'after round 1');
    // Round 2: three replicas each, and the leadership back to the node that lost it (preferred election).
    await reassignPartitions(
      bootstrap,
      run.topic,
      start.map((p) => ({
        partition: p.partition,
        replicas: [p.leader, 3, ...p.replicas.filter((r) => r !== p.leader)],
      })),
    );
    await waitReassigned(bootstrap, run.topic);
    const elections = await electLeaders(bootstrap, run.topic, [...Array(partitions).keys()], 'preferred');
    const round2 = await until('the preferred leaders leading', async () => {
      const now = await describePartitions(bootstrap, run.topic);
      return now.every((p, i) => p.leader === start[i]?.leader) ? now : undefined;
    });
    await movingOn(run, 'after round 2');
    await flow.finish();
    await run.waitAllCommitted(indexer, 120_000);
    const inTopic = await idsInTopic(bootstrap, run.topic);
    const produced = flow.produced.map((s) => s.id);
    assert.deepEqual(
      produced.filter((id) => !inTopic.has(id)),
      [],
      'Kafka kept every acknowledged session (no broker was lost)',
    );
    await waitAccounted(indexer, to, new Set(produced).size);
    assert.ok(indexer.running, 'the indexer never exited');
    await stopCleanly(indexer);
    const leaders = (ps: { leader: number }[]): string => ps.map((p) => p.leader).join(',');
    console.log(
      `# reassignment: leaders ${leaders(start)} → ${leaders(round1)} → ${leaders(round2)}; replicas ` +
        `${JSON.stringify(start.map((p) => p.replicas))} → ${JSON.stringify(round1.map((p) => p.replicas))} → ` +
        `${JSON.stringify(round2.map((p) => p.replicas))}; preferred election answers ` +
        `${elections.map((e) => e.errorCode).join(',')}; ${flow.resends} sends tried again`,
    );
    await conclude('partition reassignment mid-stream', to, run.group, produced);
  });

  /**
   * Two partitions on nodes 1 and 2 with unclean elections allowed. Node 2 stops, node 1 goes on
   * alone (acknowledging sessions only it holds, which the indexer reads and commits), node 1 is
   * killed, node 2 comes back and is elected uncleanly: its shorter log is the partitions' log
   * from then on. With `restartIndexer`, the indexer is stopped before the election and started
   * once the new log has grown past its commits: then only a check of the leader epochs
   * (KIP-320) tells its committed offsets point into a different history.
   */
  async function uncleanElection(t: TestContext, name: string, restartIndexer: boolean): Promise<void> {
    const bootstrap = cluster.bootstrap;
    const partitions = [0, 1];
    const down = new Set<KafkaBroker>();
    t.after(async () => {
      for (const broker of down) await broker.start();
    });
    const [leader, follower] = [cluster.broker(1), cluster.broker(2)];
    const replication = { replicas: 2, minInSync: 1, leaders: [1, 2] };
    const flowing = await flowingRun(t, {
      bootstrap,
      url,
      name: restartIndexer ? 'conf_unclean_restart' : 'conf_unclean',
      partitions: 2,
      replication,
    });
    const { run, flow, to } = flowing;
    const indexers: IndexerProcess[] = [flowing.indexer];
    await setTopicConfig(cluster.broker(3).bootstrap(), run.topic, {
      'unclean.leader.election.enable': 'true',
    });

    await follower.stop();
    down.add(follower);
    const alone = await until('node 1 the only in-sync replica of both partitions', async () => {
      const now = await describePartitions(bootstrap, run.topic);
      return now.every((p) => p.leader === 1 && p.isr.join() === '1') ? now : undefined;
    });
    const followerEnds = await endOffsets(bootstrap, run.topic);
    await until('200 sessions a partition committed that only node 1 holds', async () =>
      (await run.committed()).every((c, p) => c >= (followerEnds[p] ?? 0n) + 200n) ? true : undefined,
    );
    if (restartIndexer) await stopCleanly(flowing.indexer);
    // The sensor holds its sessions while the partitions have no leader: what it sends after is
    // the new log's, and where that log started is read before it grows.
    await flow.pause();
    const acknowledgedBefore = flow.produced.length;
    const [committedBefore, endsBefore] = [await run.committed(), await endOffsets(bootstrap, run.topic)];
    await leader.kill();
    down.add(leader);
    await follower.start();
    down.delete(follower);
    const leadByTwo = async (): Promise<boolean | undefined> =>
      (await describePartitions(bootstrap, run.topic)).every((p) => p.leader === 2) ? true : undefined;
    // The controller elects node 2 itself once node 1 is fenced; the explicit election is a fallback.
    const automatic = await until('an unclean election of node 2', leadByTwo, 30_000).catch(() => false);
    if (automatic !== true) {
      const results = await electLeaders(bootstrap, run.topic, partitions, 'unclean');
      console.log(`# ${name}: unclean election asked for: ${JSON.stringify(results)}`);
      await until('node 2 leading after the unclean election', leadByTwo);
    }
    const elected = await describePartitions(bootstrap, run.topic);
    const truncatedTo = await endOffsets(bootstrap, run.topic);
    const truncated = partitions.filter((p) => (truncatedTo[p] ?? 0n) < (endsBefore[p] ?? 0n));
    assert.ok(
      truncated.length > 0,
      `the election truncated a log: ends ${endsBefore.join(',')} → ${truncatedTo.join(',')}`,
    );
    flow.resume();
    if (restartIndexer) {
      await until('the new log past the old commits', async () =>
        (await endOffsets(bootstrap, run.topic)).every((e, p) => e >= (committedBefore[p] ?? 0n) + 100n)
          ? true
          : undefined,
      );
      indexers.push(await run.start(clusterSettings));
    }
    // Node 1 comes back: it truncates its log to node 2's and follows it.
    await leader.start();
    down.delete(leader);
    const indexer = indexers.at(-1) as IndexerProcess;
    await flow.finish();
    await run
      .waitAllCommitted(indexer, 120_000)
      .catch((error: unknown) => console.log(`# ${name}: ${String(error).split('\n')[0]}`));
    const records = await sessionRecords(bootstrap, run.topic);
    const inTopic = new Set(records.map((r) => r.id));
    const produced = flow.produced.map((s) => s.id);
    const lostByKafka = new Set(produced.filter((id) => !inTopic.has(id)));
    const afterElection = new Set(flow.produced.slice(acknowledgedBefore).map((s) => s.id));
    await waitAccounted(indexer, to, inTopic.size);
    assert.ok(indexer.running, 'the indexer never exited');
    await stopCleanly(indexer);

    const accounting = await account(to, inTopic);
    const history = await readCommitHistory(bootstrap, run.group);
    const movedBack = positionsMovedBack(history);
    // A truncated partition's position may move back once: from where the old history had it.
    const wrongMoves = movedBack.filter(
      (m) =>
        !(
          m.topic === run.topic &&
          truncated.includes(m.partition) &&
          m.from >= (committedBefore[m.partition] ?? 0n)
        ),
    );
    const noticed = indexers
      .flatMap((i) => i.lines)
      .filter(
        (l) =>
          Number(l['level']) >= 40 && l['topic'] === run.topic && truncated.includes(Number(l['partition'])),
      );
    const missingAfter = accounting.missing.filter((id) => afterElection.has(id));
    const commits = truncated.map((p) => {
      const offsets = (history.get(`${run.topic}:${p}`) ?? []).filter((o, i, all) => o !== all[i - 1]);
      return `p${p}: ${offsets.join(' ')}`;
    });
    console.log(
      `[conformance] ${name}: produced ${produced.length}, indexed ${accounting.indexed}, ` +
        `failure topic ${accounting.onFailureTopic}, moved back ${movedBack.length}`,
    );
    console.log(
      `# ${name}: ISR ${JSON.stringify(alone.map((p) => p.isr))} → leaders ${elected.map((p) => `${p.leader}@epoch${p.leaderEpoch}`).join(',')}` +
        ` (${automatic === true ? 'elected by the controller' : 'asked for'}); ends ${endsBefore.join(',')} → ${truncatedTo.join(',')}` +
        ` (${followerEnds.join(',')} when node 2 had left the ISR); committed before the election ${committedBefore.join(',')}; ` +
        `lost by Kafka ${lostByKafka.size} (acknowledged by node 1 alone; ${accounting.unexpected.length} of them indexed before it died); ` +
        `in the topic ${inTopic.size}, missing from the index ${accounting.missing.length} (${missingAfter.length} of the ` +
        `${afterElection.size} produced after the election) [${whereIn(records, accounting.missing)}]; rewritten ${accounting.rewritten}; ` +
        `moved back ${JSON.stringify(movedBack.map((m) => `${m.partition}:${m.from}→${m.to}`))}; ` +
        `warnings naming a truncated partition ${noticed.length}: ${JSON.stringify(noticed.slice(0, 2).map((l) => l['msg']))}`,
    );
    console.log(`# ${name}: commits of the truncated partitions (repeats left out): ${commits.join('; ')}`);
    const sample = (ids: string[]): string => `${ids.length} (${ids.slice(0, 3).join(', ')})`;
    const neverProduced = accounting.unexpected.filter((id) => !lostByKafka.has(id));
    assert.equal(neverProduced.length, 0, `indexed though never produced: ${sample(neverProduced)}`);
    assert.equal(accounting.duplicates.length, 0, `stored twice: ${sample(accounting.duplicates)}`);
    assert.equal(missingAfter.length, 0, `produced after the election, not indexed: ${sample(missingAfter)}`);
    assert.equal(accounting.missing.length, 0, `kept by Kafka, not indexed: ${sample(accounting.missing)}`);
    assert.ok(noticed.length > 0, 'the indexer said that a log was truncated under it');
    assert.deepEqual(wrongMoves, [], 'no commit moved back but once off a truncated log');
  }

  test('unclean leader election truncating logs, the indexer reading through it', (t) =>
    uncleanElection(t, 'unclean election (indexer reading)', false));

  test('unclean leader election truncating logs, the indexer restarted once the new log has passed its commits', (t) =>
    uncleanElection(t, 'unclean election (indexer restarted)', true));
});
