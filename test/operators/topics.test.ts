// Several topics at once, against the real Kafka broker and OpenSearch: one
// indexer reads every topic a regular expression matches, one topic per source, and a topic
// created while it runs; lag is reported per topic and partition; --check checks every topic.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { bulkLines, indexFor, readSessions, type ArkimeSession } from '../../stack/arkime.js';
import { committedOffsets, createTopic, endOffsets, produce } from '../../stack/kafka-topics.js';
import { uniqueName } from '../../stack/names.js';
import { indexerRun, runCli, stopCleanly } from '../helpers/indexer.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';

describe('several topics', () => {
  let servers: KafkaAndSearch;
  before(async () => (servers = await kafkaAnd('opensearch')));

  test('a pattern: two topics, then a third created while the indexer runs, all indexed, lag per topic and partition', async (t) => {
    const run = await indexerRun(t, { ...servers, name: 'arkime_topics', failureTopic: false });
    const { bootstrap, prefix, group } = run;
    // One topic per source; the failure topic matches the pattern too, and must not be read back.
    const stem = uniqueName('arkime-src');
    const [first, second, third, failures] = ['a', 'b', 'c', 'failed'].map((s) => `${stem}-${s}`) as [
      string,
      string,
      string,
      string,
    ];
    const partitions: Record<string, number> = { [first]: 2, [second]: 1, [third]: 1 };
    for (const topic of [first, second]) await createTopic(bootstrap, topic, partitions[topic]);
    await createTopic(bootstrap, failures, 1);

    const day = readSessions().filter((s) => s.index === 'arkime_sessions3-250124');
    const [ofFirst, ofSecond, ofThird] = [day.slice(0, 30), day.slice(30, 45), day.slice(45, 55)];
    // One session of the first topic breaks the mapping: it goes to the failure topic.
    const brokenAt = 7;
    const broken = { ...ofFirst[brokenAt]!, doc: { ...ofFirst[brokenAt]!.doc, firstPacket: 'yesterday' } };
    const sent = (sessions: ArkimeSession[]): Buffer[] =>
      sessions.map((s) => Buffer.from(bulkLines(s === ofFirst[brokenAt] ? broken : s, indexFor(s, prefix))));
    await produce(bootstrap, first, sent(ofFirst), partitions[first]);
    await produce(bootstrap, second, sent(ofSecond), partitions[second]);

    const pattern = `/^${stem}-/`;
    const env = {
      ...run.env,
      KAFKA_CONSUMER_TOPIC: pattern,
      KAFKA_METADATA_REFRESH: '1s',
      KAFKA_PRODUCER_BROKERS: bootstrap,
      KAFKA_PRODUCER_TOPIC: failures,
      ELASTIC_ALLOWED_INDICES: `${prefix}-*`,
    };
    const indexer = await run.start({ ...env, LOG_LEVEL: 'info' });
    await indexer.waitFor(
      'both topics indexed, the broken session produced',
      async () =>
        (await indexer.metric('indexed_documents_total')) === ofFirst.length + ofSecond.length - 1 &&
        (await indexer.metric('msg_produced_success_total')) === 1,
    );

    const created = Date.now();
    await createTopic(bootstrap, third, partitions[third]);
    await produce(bootstrap, third, sent(ofThird), partitions[third]);
    const total = ofFirst.length + ofSecond.length + ofThird.length;
    await indexer.waitForMetric('indexed_documents_total', (n) => n === total - 1, '', 30_000);
    const pickedUpMs = Date.now() - created;
    const changed = indexer.lines.filter(
      (l) => l['msg'] === 'topics matching KAFKA_CONSUMER_TOPIC changed: rejoining the group with them',
    );
    assert.equal(changed.length, 1, JSON.stringify(changed));
    assert.deepEqual(changed[0]?.['added'], [third]);
    assert.deepEqual(changed[0]?.['topics'], [first, second, third]);
    // The assignment lines name topic and partition once several topics are read.
    const assigned = indexer.lines.filter((l) => l['msg'] === 'partition assignment changed');
    assert.deepEqual(assigned[0]?.['partitions'], [`${first}:0`, `${first}:1`, `${second}:0`]);
    assert.deepEqual(assigned.at(-1)?.['added'], [`${third}:0`]);
    console.log(`[topics] a topic created while running: indexed ${pickedUpMs} ms after its creation`);

    // Lag per (topic, partition) of every topic read, 0 once committed; none for the failure topic.
    const series = (text: string): string[] =>
      text
        .split('\n')
        .filter((line) => line.startsWith('arkime_kafkaindexer_consumer_lag_messages{'))
        .map((line) => line.replace(/^[^{]*/, ''))
        .sort();
    const expected = [
      `{topic="${first}",partition="0"} 0`,
      `{topic="${first}",partition="1"} 0`,
      `{topic="${second}",partition="0"} 0`,
      `{topic="${third}",partition="0"} 0`,
    ].sort();
    await indexer.waitFor(
      'lag 0 reported for each topic and partition',
      async () => JSON.stringify(series(await indexer.metrics())) === JSON.stringify(expected),
      30_000,
    );

    for (const topic of [first, second, third]) {
      const ends = await endOffsets(bootstrap, topic);
      assert.deepEqual(await committedOffsets(bootstrap, group, topic, partitions[topic]!), ends, topic);
    }
    // Every message read once: the failure topic's record was not read back.
    assert.equal(await indexer.metric('msgs_consumed_total'), total);
    assert.deepEqual(await endOffsets(bootstrap, failures), [1n]);
    const documents = await run.documents();
    const expectedIds = [...ofFirst, ...ofSecond, ...ofThird]
      .map((s) => s.id)
      .filter((id) => id !== broken.id);
    assert.deepEqual(documents.map((d) => d._id).sort(), expectedIds.sort());

    // --check: every topic the pattern matches now (the failure topic left out); a comma list names each.
    const checked = await runCli(['--check'], env);
    assert.equal(checked.code, 0, checked.lines.join('\n'));
    assert.ok(
      checked.lines.includes(
        `✓ topics matching ${pattern}: 3 topic(s): ${first} (2 partition(s)), ${second} (1 partition(s)), ${third} (1 partition(s))`,
      ),
      checked.lines.join('\n'),
    );
    const listed = await runCli(['--check'], { ...env, KAFKA_CONSUMER_TOPIC: `${first},${stem}-missing` });
    assert.equal(listed.code, 1);
    assert.deepEqual(listed.lines.slice(2, 4), [
      `✓ topic ${first}: 2 partition(s)`,
      `✗ topic ${stem}-missing: topic "${stem}-missing" does not exist`,
    ]);
    const nothing = await runCli(['--check'], { ...env, KAFKA_CONSUMER_TOPIC: `/^${stem}-none/` });
    assert.equal(nothing.code, 1);
    assert.equal(
      nothing.lines[2],
      `✗ topics matching /^${stem}-none/: no topic matches (the indexer would wait for one)`,
    );

    await stopCleanly(indexer);
  });
});
