// Retention overtaking the consumer: while the indexer is stopped, Kafka deletes messages it has
// not committed. On a broker of the test's own that checks retention every half second, a topic
// rolls a segment whenever record timestamps jump by more than a second; records are produced
// with chosen timestamps, so that setting `retention.ms` deletes exactly the segments of the
// older batches, at once, without waiting for the clock.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { arkimeMessages, readSessions, type ArkimeSession } from '../../stack/arkime.js';
import type { KafkaBroker } from '../../stack/kafka-broker.js';
import { produce, setTopicConfig, startOffsets } from '../../stack/kafka-topics.js';
import { indexerRun, stopCleanly, type IndexerProcess, type IndexerRun } from '../helpers/indexer.js';
import { ownKafkaBroker, required, useStack } from '../helpers/stack.js';

const partitions = 2;
const settings = { BULKER_MAX_MESSAGES: '25' };
const lostLine = /^messages (deleted by retention before they were indexed|skipped: the committed offset)/;
const hour = 3_600_000n;

describe('retention overtakes the consumer', () => {
  let url: string;
  let broker: KafkaBroker;
  // 700 sessions, one a message: 200 indexed, then 300 deleted unread, then 200 kept.
  const sessions = readSessions().slice(0, 700);
  const [indexedFirst, deleted, kept] = [
    sessions.slice(0, 200),
    sessions.slice(200, 500),
    sessions.slice(500),
  ];

  before(async () => {
    url = required((await useStack('opensearch')).opensearch, 'opensearch').url;
    broker = await ownKafkaBroker('retention-broker', {
      properties: { 'log.retention.check.interval.ms': '500', 'log.initial.task.delay.ms': '0' },
    });
    await broker.start();
  });
  after(() => broker.stop());

  /**
   * Indexes the first sessions (their records two hours old) and stops; produces the next ones an
   * hour and 59 minutes old and the last ones now, each batch in a segment of its own; then lets
   * retention keep 10 minutes: the first two batches go, the third stays.
   */
  async function overtaken(t: TestContext, name: string): Promise<IndexerRun> {
    const run = await indexerRun(t, { bootstrap: broker.bootstrap(), url, name, partitions });
    await setTopicConfig(run.bootstrap, run.topic, { 'segment.ms': '1000' });
    const messages = (batch: ArkimeSession[]): Buffer[] => arkimeMessages(batch, 'bulk1', run.prefix);
    const now = BigInt(Date.now());
    await produce(run.bootstrap, run.topic, messages(indexedFirst), partitions, now - 2n * hour);
    const first = await run.start(settings);
    await run.waitAllCommitted(first);
    await stopCleanly(first);
    assert.deepEqual(await run.committed(), [100n, 100n]);

    await produce(run.bootstrap, run.topic, messages(deleted), partitions, now - 2n * hour + 60_000n);
    await produce(run.bootstrap, run.topic, messages(kept), partitions, now);
    await setTopicConfig(run.bootstrap, run.topic, { 'retention.ms': '600000' });
    const deadline = Date.now() + 60_000;
    let starts = await startOffsets(run.bootstrap, run.topic);
    while (starts.some((s) => s !== 250n) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      starts = await startOffsets(run.bootstrap, run.topic);
    }
    assert.deepEqual(starts, [250n, 250n], 'retention deleted offsets 0-249 of each partition');
    return run;
  }

  function lostLines(indexer: IndexerProcess): Record<string, unknown>[] {
    return indexer.lines.filter((l) => typeof l['msg'] === 'string' && lostLine.test(l['msg']));
  }

  const byPartition = (lines: Record<string, unknown>[]): Record<string, unknown>[] =>
    [...lines].sort((a, b) => Number(a['partition']) - Number(b['partition']));

  /** Error lines other than the ones about the loss: there should be none (no stream error, no crash). */
  function otherErrors(indexer: IndexerProcess): Record<string, unknown>[] {
    return indexer.lines.filter(
      (l) => Number(l['level']) >= 50 && !(typeof l['msg'] === 'string' && lostLine.test(l['msg'])),
    );
  }

  async function assertIndexed(run: IndexerRun, expected: ArkimeSession[]): Promise<void> {
    const stored = await run.documents();
    assert.equal(stored.length, expected.length, 'every message still in the topic indexed, once');
    assert.deepEqual(new Set(stored.map((d) => d._id)), new Set(expected.map((s) => s.id)));
    await run.assertNoFailureRecords();
  }

  test('earliest (the default): goes on from the oldest message kept, one line per partition with the range lost, counted', async (t) => {
    const run = await overtaken(t, 'arkime_retention');
    const indexer = await run.start(settings);
    const started = Date.now();
    await run.waitAllCommitted(indexer, 120_000);
    const seconds = (Date.now() - started) / 1000;

    const lines = lostLines(indexer);
    assert.deepEqual(
      byPartition(lines).map((l) => [
        l['level'],
        l['topic'],
        l['partition'],
        l['firstOffset'],
        l['lastOffset'],
        l['messages'],
      ]),
      [0, 1].map((p) => [50, run.topic, p, 100, 249, 150]),
      indexer.output.slice(-3000),
    );
    assert.equal(
      lines.find((l) => l['partition'] === 0)?.['msg'],
      `messages deleted by retention before they were indexed: topic ${run.topic} partition 0, offsets 100–249 lost (150 messages); going on from 250, the earliest offset kept`,
    );
    const skipped = await indexer.metric('offsets_skipped_total', 'reason="out_of_range"');
    assert.equal(skipped, deleted.length, 'the metric counts the messages lost');
    const indexed = await indexer.metric('indexed_documents_total');
    assert.equal(indexed, kept.length, 'indexed every message still there');
    assert.deepEqual(otherErrors(indexer), [], 'no other error');
    assert.equal(indexer.running, true, 'never exited');
    await stopCleanly(indexer);
    await assertIndexed(run, [...indexedFirst, ...kept]);
    console.log(
      `# retention, earliest: ${sessions.length} produced, ${indexedFirst.length} indexed before the stop, offsets 100–249 of 2 partitions deleted: offsets_skipped_total=${skipped}, ${indexed} indexed after in ${seconds.toFixed(1)} s`,
    );
  });

  test('latest: goes on from the end of the log; the range lost runs to it; what comes after is indexed', async (t) => {
    const run = await overtaken(t, 'arkime_retention_latest');
    const indexer = await run.start({ ...settings, KAFKA_CONSUMER_OFFSET_RESET: 'latest' });
    await indexer.waitFor(
      'a line per partition about the loss',
      () => lostLines(indexer).length === 2,
      60_000,
    );
    const later = readSessions().slice(0, 100);
    const laterCopies = later.map((s) => ({ ...s, id: `${s.id}-later` }));
    await produce(run.bootstrap, run.topic, arkimeMessages(laterCopies, 'bulk1', run.prefix), partitions);
    await run.waitAllCommitted(indexer, 120_000);

    assert.deepEqual(
      byPartition(lostLines(indexer)).map((l) => [
        l['partition'],
        l['firstOffset'],
        l['lastOffset'],
        l['messages'],
      ]),
      [
        [0, 100, 349, 250],
        [1, 100, 349, 250],
      ],
    );
    const skipped = await indexer.metric('offsets_skipped_total', 'reason="out_of_range"');
    assert.equal(skipped, deleted.length + kept.length);
    assert.deepEqual(otherErrors(indexer), [], 'no other error');
    await stopCleanly(indexer);
    await assertIndexed(run, [...indexedFirst, ...laterCopies]);
    console.log(
      `# retention, latest: offsets 100–349 of 2 partitions passed over: offsets_skipped_total=${skipped}; ${laterCopies.length} produced after, indexed`,
    );
  });
});
