// Membership churn on a three-broker cluster of the file's own: four indexer processes
// in one group join, leave (SIGTERM) and one is killed (SIGKILL) while sessions flow and the
// search cluster answers 1 s late (a latency proxy between the indexers and OpenSearch), so that
// bulks are in flight at every change of owner. Once under the classic protocol, once under
// KIP-848. Every session must be indexed exactly once (bulk1 ids: a re-read overwrites, so the
// documents are counted), and no committed position of the group may move back.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaCluster } from '../../stack/kafka-cluster.js';
import { groupType } from '../../stack/kafka-topics.js';
import { LatencyProxy } from '../../stack/latency-proxy.js';
import { stopCleanly, type IndexerProcess } from '../helpers/indexer.js';
import { ownKafkaCluster, required, useStack } from '../helpers/stack.js';
import { clusterSettings, flowingRun, until } from './cluster-run.js';
import { conclude, waitAccounted } from './harness.js';

const partitions = 6;

// KIP-848 takes its timing from the broker: members learn of a change at their next heartbeat,
// and a killed member is dropped after the group session timeout (defaults 5 s and 45 s, the
// session's minimum also 45 s). 500 ms and 6 s (KAFKA_SESSION_TIMEOUT's default, which the
// classic protocol uses) keep the kill within the case's time, as in integration/scale-out.
const groupTiming = {
  'group.consumer.heartbeat.interval.ms': '500',
  'group.consumer.min.heartbeat.interval.ms': '500',
  'group.consumer.session.timeout.ms': '6000',
  'group.consumer.min.session.timeout.ms': '6000',
};

interface Member {
  name: string;
  indexer: IndexerProcess;
  alive: boolean;
}

/** The partitions a member owns, as it last logged them. */
function owned(member: Member): number[] {
  const line = member.indexer.lines.filter((l) => l['msg'] === 'partition assignment changed').at(-1);
  return (line?.['partitions'] as number[] | undefined) ?? [];
}

/** Every partition owned by exactly one live member, each live member owning some: the group has settled. */
function settled(members: Member[]): boolean {
  const alive = members.filter((m) => m.alive);
  const all = alive.flatMap(owned);
  return (
    all.length === partitions && new Set(all).size === partitions && alive.every((m) => owned(m).length > 0)
  );
}

describe('conformance on a three-broker cluster: membership churn', { timeout: 15 * 60_000 }, () => {
  let cluster: KafkaCluster;
  let url: string;
  let proxy: LatencyProxy;

  before(async () => {
    const [search, kafka] = await Promise.all([
      useStack('opensearch'),
      ownKafkaCluster('conformance-churn', groupTiming),
    ]);
    url = required(search.opensearch, 'opensearch').url;
    cluster = kafka;
    await cluster.start();
    // Each direction 500 ms late: every request to the search cluster answered a second late.
    proxy = await LatencyProxy.start(url, { latencyMs: 500 });
  });
  after(async () => {
    await proxy.stop();
    await cluster.stop();
  });

  async function churn(t: TestContext, name: string, incremental: boolean): Promise<void> {
    const bootstrap = cluster.bootstrap;
    const settings = {
      KAFKA_CONSUMER_INCREMENTAL_REBALANCE: String(incremental),
      LOG_LEVEL: 'info',
    };
    const { run, indexer, flow, to } = await flowingRun(t, {
      bootstrap,
      url,
      name: incremental ? 'conf_churn848' : 'conf_churn',
      partitions,
      replication: { replicas: 3, minInSync: 2 },
      perSecond: 100,
      minSessions: 5000,
      settings,
      indexerUrl: proxy.url,
    });
    assert.equal(await groupType(bootstrap, run.group), incremental ? 'consumer' : 'classic');
    const members: Member[] = [{ name: 'i1', indexer, alive: true }];
    const join = async (): Promise<void> => {
      const started = await run.start({ ...clusterSettings, ...settings, ELASTIC_SERVICE: proxy.url });
      members.push({ name: `i${members.length + 1}`, indexer: started, alive: true });
    };
    const leave = (index: number, signal: NodeJS.Signals): void => {
      const member = members[index] as Member;
      member.alive = false;
      void member.indexer.stop(signal);
    };
    const events: string[] = [];
    /** After each change: the group settled (bounded), then every partition's commit moving on. */
    const change = async (label: string, act: () => Promise<void> | void): Promise<void> => {
      const at = Date.now();
      await act();
      const ok = await until(
        `${label}: the group settled`,
        () => Promise.resolve(settled(members) ? true : undefined),
        60_000,
      )
        .then(() => true)
        .catch(() => false);
      const settledMs = Date.now() - at;
      const now = await run.committed();
      await until(
        `${label}: every partition's commit moving on`,
        async () => ((await run.committed()).every((c, p) => c > (now[p] ?? -1n)) ? true : undefined),
        60_000,
      );
      const owners = members.filter((m) => m.alive).map((m) => `${m.name}[${owned(m).join(',')}]`);
      events.push(
        `${label}: ${ok ? `settled in ${settledMs} ms` : 'NOT settled in 60 s'} ${owners.join(' ')}`,
      );
      // A steady stretch with bulks in flight before the next change.
      await sleep(3000);
    };

    await change('start', () => undefined);
    await change('1 → 3 (two join)', () => Promise.all([join(), join()]).then(() => undefined));
    await change('3 → 2 (i2 SIGTERM)', () => leave(1, 'SIGTERM'));
    await change('2 → 3 (i4 joins)', join);
    await change('3 → 2 (i3 SIGKILL)', () => leave(2, 'SIGKILL'));
    await change('2 → 1 (i4 SIGTERM)', () => leave(3, 'SIGTERM'));
    await flow.finish();
    await run.waitAllCommitted(indexer, 120_000);
    const produced = flow.produced.map((s) => s.id);
    await waitAccounted(indexer, to, new Set(produced).size);
    assert.ok(indexer.running, 'the indexer that stayed never exited');
    await stopCleanly(indexer);
    const exits = await Promise.all(members.map((m) => m.indexer.exited));
    console.log(
      `# ${name}: ${events.join('; ')}; exits ${exits.join(',')}; ${flow.resends} sends tried again`,
    );
    const { accounting } = await conclude(name, to, run.group, produced);
    console.log(`# ${name}: ${accounting.rewritten} sessions indexed more than once (overwritten by _id)`);
    assert.deepEqual([exits[1], exits[3]], [0, 0], 'the members stopped with SIGTERM drained and exited 0');
  }

  test('classic protocol: members join, leave (SIGTERM) and one is killed (SIGKILL) while search answers 1 s late', (t) =>
    churn(t, 'membership churn (classic)', false));

  test('KIP-848 protocol: members join, leave (SIGTERM) and one is killed (SIGKILL) while search answers 1 s late', (t) =>
    churn(t, 'membership churn (KIP-848)', true));
});
