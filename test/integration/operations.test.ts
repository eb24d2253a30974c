// The running daemon as an operator sees it, against the real Kafka broker and OpenSearch:
// --check's lines and exit code, /healthz and /readyz, the summary line, and every metric the
// Grafana dashboard queries present in the real /metrics output.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { bulkLines, indexFor, readSessions } from '../../stack/arkime.js';
import { createTopic, produce } from '../../stack/kafka-topics.js';
import { uniqueName } from '../../stack/names.js';
import { freePort } from '../../stack/ports.js';
import { dashboardQueries, exposedNames, metricNames } from '../helpers/dashboard.js';
import { indexerRun, runCli, startIndexer, stopCleanly, type IndexerProcess } from '../helpers/indexer.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';

async function probe(indexer: IndexerProcess, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${indexer.port}${path}`);
  return { status: response.status, body: await response.text() };
}

describe('operations', () => {
  let servers: KafkaAndSearch;
  before(async () => (servers = await kafkaAnd('opensearch')));

  test('--check passes against the real stack, and names each thing missing or unreachable', async (t) => {
    const run = await indexerRun(t, { ...servers, name: 'arkime_check', partitions: 2 });
    const { prefix, topic, group, failures } = run;
    const env = { ...run.env, ELASTIC_ALLOWED_INDICES: `${prefix}-*` };

    const passing = await runCli(['--check'], env);
    assert.equal(passing.code, 0, passing.lines.join('\n'));
    assert.deepEqual(
      passing.lines.map((line) => line.replace(/: .*/, '')),
      [
        '✓ configuration',
        '✓ Kafka consumer brokers',
        `✓ topic ${topic}`,
        `✓ consumer group ${group} coordinator`,
        '✓ Kafka producer brokers',
        `✓ failure topic ${failures}`,
        '✓ search cluster',
        '✓ search cluster health',
        `✓ index template for ${prefix}-*`,
        `✓ indices named in topic ${topic}`,
      ],
    );
    assert.ok(passing.lines.includes(`✓ topic ${topic}: 2 partition(s)`));
    assert.ok(passing.lines.includes(`✓ indices named in topic ${topic}: empty: no message to look at yet`));
    assert.ok(passing.lines.some((line) => /^✓ search cluster: OpenSearch 2\.\d+\.\d+/.test(line)));
    assert.ok(
      passing.lines.includes(
        `✓ index template for ${prefix}-*: composable template "${prefix}" (${prefix}-*, priority 99)`,
      ),
    );

    // A broker that refuses connections, a failure topic that does not exist, no template for the indices.
    const closed = await freePort();
    const failing = await runCli(['--check'], {
      ...env,
      KAFKA_CONSUMER_BROKERS: `127.0.0.1:${closed}`,
      KAFKA_PRODUCER_TOPIC: `${failures}-missing`,
      ELASTIC_ALLOWED_INDICES: `${prefix}x-*`,
    });
    assert.equal(failing.code, 1);
    assert.match(
      failing.lines[1] ?? '',
      new RegExp(`^✗ Kafka consumer brokers: .*ECONNREFUSED 127\\.0\\.0\\.1:${closed}`),
    );
    assert.deepEqual(failing.lines.slice(2, 7), [
      `✗ topic ${topic}: not checked: Kafka consumer brokers failed`,
      `✗ consumer group ${group} coordinator: not checked: Kafka consumer brokers failed`,
      passing.lines[4],
      `✗ failure topic ${failures}-missing: topic "${failures}-missing" does not exist`,
      passing.lines[6],
    ]);
    assert.match(failing.lines[7] ?? '', /^✓ search cluster health: (green|yellow), /);
    assert.deepEqual(failing.lines.slice(8), [
      `✗ index template for ${prefix}x-*: no index template matches ${prefix}x-*: new indices would get guessed mappings; install Arkime's (db.pl init) before indexing`,
      `✗ indices named in topic ${topic}: not checked: Kafka consumer brokers failed`,
    ]);
  });

  test('the running indexer: probes, lag, summary line, and every dashboard metric in /metrics', async (t) => {
    const run = await indexerRun(t, { ...servers, name: 'arkime_ops', partitions: 2 });
    const { topic } = run;
    // Sessions of one day (one index to create), one of them breaking the mapping.
    const sessions = readSessions()
      .filter((s) => s.index === 'arkime_sessions3-250124')
      .slice(0, 20);
    const broken = { ...sessions[7]!, doc: { ...sessions[7]!.doc, firstPacket: 'yesterday' } };
    const sent = sessions.map((s, i) => (i === 7 ? broken : s));
    await run.produce(sent.map((s) => Buffer.from(bulkLines(s, indexFor(s, run.prefix)))));

    const indexer = await run.start({
      BULKER_MAX_MESSAGES: '8',
      SUMMARY_LOG_INTERVAL: '1s',
      LOG_LEVEL: 'info',
    });
    await indexer.waitFor('/healthz', async () => (await probe(indexer, '/healthz')).status === 200);
    await indexer.waitFor('/readyz', async () => (await probe(indexer, '/readyz')).status === 200);
    assert.deepEqual(JSON.parse((await probe(indexer, '/readyz')).body), { ready: true, reasons: [] });
    await indexer.waitFor(
      'good documents indexed, the broken one produced',
      async () =>
        (await indexer.metric('indexed_documents_total')) === 19 &&
        (await indexer.metric('msg_produced_success_total')) === 1,
    );
    // Lag is asked from the brokers every 5 s: it reaches 0 once the offsets are committed.
    await indexer.waitFor('lag 0 on both partitions', async () => {
      const text = await indexer.metrics();
      return [0, 1].every((p) =>
        text.includes(`arkime_kafkaindexer_consumer_lag_messages{topic="${topic}",partition="${p}"} 0\n`),
      );
    });

    const text = await indexer.metrics();
    const exposed = exposedNames(text);
    for (const { panel, expr } of dashboardQueries()) {
      for (const name of metricNames(expr))
        assert.ok(exposed.has(name), `panel "${panel}": ${name} not in /metrics`);
    }
    assert.equal(await indexer.metric('documents_failed_total', 'reason="mapper_parsing_exception"'), 1);
    assert.ok((await indexer.metric('bulk_request_duration_seconds_count', 'outcome="item_errors"')) >= 1);
    assert.ok((await indexer.metric('bulk_request_duration_seconds_count', 'outcome="ok"')) >= 1);
    assert.equal(await indexer.metric('in_flight_bytes'), 0);

    // The summary lines add up to what the counters say, failures by reason included, and the
    // last one, everything indexed, is 0 s behind.
    await indexer.waitFor('a summary line with lag 0', () =>
      indexer.lines.some((line) => (line['summary'] as { lag?: number } | undefined)?.lag === 0),
    );
    const summaries = indexer.lines
      .filter((line) => line['component'] === 'summary')
      .map(
        (line) =>
          line['summary'] as {
            indexed: number;
            failedByReason: Record<string, number>;
            flushes: Record<string, number>;
          },
      );
    assert.equal(
      summaries.reduce((sum, s) => sum + s.indexed, 0),
      19,
    );
    assert.equal(
      summaries.reduce((sum, s) => sum + (s.failedByReason['mapper_parsing_exception'] ?? 0), 0),
      1,
    );
    const flushes = summaries.reduce(
      (sum, s) => sum + Object.values(s.flushes).reduce((a, b) => a + b, 0),
      0,
    );
    assert.equal(flushes, await indexer.metric('bulk_flush_reason_total'));
    assert.match(
      String(indexer.lines.find((line) => line['component'] === 'summary')?.['msg']),
      /^summary: ([\d.]+ s behind \([^)]+\)|0 s behind), [\d.]+ docs\/s, /,
    );
    const last = indexer.lines.filter((line) => line['component'] === 'summary').at(-1);
    assert.equal((last?.['summary'] as { secondsBehind?: number } | undefined)?.secondsBehind, 0);
    await stopCleanly(indexer);
  });

  test('/readyz answers 503 and says why while the search cluster is unreachable; /healthz stays 200; lag counts what waits', async (t) => {
    const { bootstrap } = servers;
    const topic = uniqueName('spi');
    await createTopic(bootstrap, topic);
    const [session] = readSessions();
    await produce(
      bootstrap,
      topic,
      [1, 2, 3].map(() => Buffer.from(bulkLines(session!))),
    );
    // Killed when the test ends: its batch waits on a cluster that is not there, and SIGTERM would
    // wait out the 20 s drain grace.
    const indexer = await startIndexer(t, {
      KAFKA_CONSUMER_BROKERS: bootstrap,
      KAFKA_CONSUMER_TOPIC: topic,
      KAFKA_CONSUMER_GROUP_NAME: uniqueName('indexer'),
      // The KIP-848 group protocol, whose join carries no assignment: lag must still be known.
      KAFKA_CONSUMER_INCREMENTAL_REBALANCE: 'true',
      ELASTIC_SERVICE: `http://127.0.0.1:${await freePort()}`,
      LOG_LEVEL: 'info',
    });
    // In the group (the consumer works), but not ready: the one reason left is the cluster.
    await indexer.waitFor('/readyz naming only the search cluster', async () => {
      const { status, body } = await probe(indexer, '/readyz');
      const { reasons } = JSON.parse(body) as { reasons: string[] };
      return (
        status === 503 &&
        reasons.length === 1 &&
        reasons[0]?.startsWith('search cluster unreachable: ') === true
      );
    });
    assert.equal((await probe(indexer, '/healthz')).status, 200);
    // Nothing committed: the lag counts from the oldest message.
    await indexer.waitFor(
      'lag 3',
      async () => (await indexer.metric('consumer_lag_messages', `topic="${topic}"`)) === 3,
    );
  });
});
