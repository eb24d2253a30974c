// Processes dying under the indexer: the indexer itself (SIGKILL) and the Kafka broker (restart,
// and down before the indexer starts).
// Arkime's _ids make a redelivered session overwrite itself, so "exactly once" is checked by id.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { arkimeMessages, copiesOf, readSessions, type ArkimeSession } from '../../stack/arkime.js';
import { indexerRun, stopCleanly, type IndexerRun } from '../helpers/indexer.js';
import { ownKafkaBroker, required, useStack } from '../helpers/stack.js';

const indexed = 'indexed_documents_total';
/** Small bulks and quick retries: many commits while the stream lasts, and a fast recovery. */
const settings = { BULKER_MAX_MESSAGES: '25', ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '1s' };

async function assertExactlyOnce(run: IndexerRun, sessions: ArkimeSession[]): Promise<void> {
  const stored = await run.documents();
  assert.equal(stored.length, sessions.length, 'as many documents as sessions: none lost, none twice');
  assert.deepEqual(new Set(stored.map((d) => d._id)), new Set(sessions.map((s) => s.id)));
  await run.assertNoFailureRecords();
}

describe('crashes', () => {
  let url: string;
  // One day's sessions, four copies with their own ids: 708 documents.
  const sessions = copiesOf(
    readSessions().filter((s) => s.index.endsWith('-250124')),
    4,
    'crash',
  );

  before(async () => {
    url = required((await useStack('opensearch')).opensearch, 'opensearch').url;
  });

  /** A broker of the test's own (to stop and start), stopped after it, with a run on it and its messages. */
  async function ownBrokerRun(t: TestContext, name: string) {
    const broker = await ownKafkaBroker(`${name}-broker`);
    await broker.start();
    after(() => broker.stop());
    const run = await indexerRun(t, { bootstrap: broker.bootstrap(), url, name, partitions: 3 });
    return { broker, run, messages: arkimeMessages(sessions, 'bulk1', run.prefix) };
  }

  test('the indexer killed with SIGKILL mid-stream and started again: every session exactly once', async (t) => {
    const bootstrap = required((await useStack('kafka')).kafka, 'kafka').bootstrap;
    const run = await indexerRun(t, { bootstrap, url, name: 'arkime_kill', partitions: 3 });
    const messages = arkimeMessages(sessions, 'bulk1', run.prefix);
    await run.produce(messages);

    const first = await run.start(settings);
    await first.waitForMetric(indexed, (n) => n >= 100);
    await first.stop('SIGKILL');
    const gone = await first.metric(indexed).catch(() => -1);
    assert.equal(gone, -1, 'the first indexer is gone');
    // What the first one committed is all the second one may skip (one session a message).
    const committed = (await run.committed()).reduce((sum, c) => sum + (c > 0n ? Number(c) : 0), 0);
    assert.ok(committed < messages.length, `work left for the second indexer: ${committed} committed`);

    const second = await run.start(settings);
    await run.waitAllCommitted(second);
    const redone = await second.metric(indexed);
    assert.ok(
      redone >= messages.length - committed,
      `the second indexer indexed ${redone}, at least the ${messages.length - committed} uncommitted`,
    );
    console.log(
      `# SIGKILL: ${sessions.length} produced, ${committed} committed at the kill, ${redone} indexed after`,
    );
    await stopCleanly(second);
    await assertExactlyOnce(run, sessions);
  });

  test('the Kafka broker restarted mid-stream: every session exactly once', async (t) => {
    const { broker, run, messages } = await ownBrokerRun(t, 'arkime_broker');
    const half = Math.floor(messages.length / 2);
    await run.produce(messages.slice(0, half));

    const indexer = await run.start(settings);
    await indexer.waitForMetric(indexed, (n) => n >= 100);
    await broker.stop();
    await broker.start();
    await run.produce(messages.slice(half));
    await run.waitAllCommitted(indexer, 120_000);
    const acknowledged = await indexer.metric(indexed);
    assert.ok(acknowledged >= sessions.length, `${acknowledged} index acknowledgements`);
    console.log(`# broker restart: ${sessions.length} produced, ${acknowledged} index acknowledgements`);
    await stopCleanly(indexer);
    await assertExactlyOnce(run, sessions);
  });

  test('started while its broker is down: waits (not ready, one line), then consumes every session once', async (t) => {
    const { broker, run, messages } = await ownBrokerRun(t, 'arkime_late');
    await run.produce(messages);
    await broker.stop();

    const indexer = await run.start(settings);
    const waiting = 'Kafka consumer cannot start yet; waiting for the brokers, longer after each failed try';
    await indexer.waitFor('the wait logged', () => indexer.lines.some((l) => l['msg'] === waiting), 90_000);
    const readyz = await fetch(`http://127.0.0.1:${indexer.port}/readyz`);
    assert.equal(readyz.status, 503, 'not ready while no broker answers');
    assert.equal(indexer.running, true, 'still running');

    await broker.start();
    await run.waitAllCommitted(indexer, 180_000);
    assert.equal(
      (await fetch(`http://127.0.0.1:${indexer.port}/readyz`)).status,
      200,
      'ready once consuming',
    );
    assert.equal(indexer.lines.filter((l) => l['msg'] === waiting).length, 1, 'the wait logged once');
    const started = indexer.lines.find((l) => l['msg'] === 'Kafka consumer started');
    assert.ok(started !== undefined, 'the end of the wait logged');
    console.log(
      `# broker down at start: ${sessions.length} produced, started after ${String(started['afterMs'])} ms`,
    );
    await stopCleanly(indexer);
    await assertExactlyOnce(run, sessions);
  });
});
