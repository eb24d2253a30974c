// Processes dying under the indexer: the indexer itself (SIGKILL) and the Kafka broker (restart).
// Arkime's _ids make a redelivered session overwrite itself, so "exactly once" is checked by id.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { arkimeMessages, copiesOf, readSessions, type ArkimeSession } from '../../stack/arkime.js';
import { IndexerProcess } from '../helpers/indexer.js';
import { createTopic, endOffsets, produce } from '../../stack/kafka-topics.js';
import { uniqueName } from '../../stack/names.js';
import { allDocuments, installTemplate } from '../../stack/search-client.js';
import { required, useStack } from '../helpers/stack.js';
import { KafkaBroker } from '../../stack/kafka-broker.js';
import { versionsFromEnv } from '../../stack/versions.js';

const indexed = 'indexed_documents_total';

async function assertExactlyOnce(url: string, prefix: string, sessions: ArkimeSession[]): Promise<void> {
  const stored = await allDocuments(url, `${prefix}-*`);
  assert.equal(stored.length, sessions.length, 'as many documents as sessions: none lost, none twice');
  assert.deepEqual(new Set(stored.map((d) => d._id)), new Set(sessions.map((s) => s.id)));
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

  function env(bootstrap: string, topic: string, group: string, failures: string): Record<string, string> {
    return {
      KAFKA_CONSUMER_BROKERS: bootstrap,
      KAFKA_CONSUMER_TOPIC: topic,
      KAFKA_CONSUMER_GROUP_NAME: group,
      KAFKA_PRODUCER_BROKERS: bootstrap,
      KAFKA_PRODUCER_TOPIC: failures,
      ELASTIC_SERVICE: url,
      BULKER_MAX_MESSAGES: '25',
      BULKER_FLUSH_INTERVAL: '200ms',
      ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '1s',
    };
  }

  test('the indexer killed with SIGKILL mid-stream and started again: every session exactly once', async () => {
    const bootstrap = required((await useStack('kafka')).kafka, 'kafka').bootstrap;
    const prefix = uniqueName('arkime_kill').toLowerCase();
    const [topic, group, failures] = [uniqueName('spi'), uniqueName('indexer'), uniqueName('spi-failed')];
    after(await installTemplate(url, prefix));
    await createTopic(bootstrap, topic, 3);
    await createTopic(bootstrap, failures);
    await produce(bootstrap, topic, arkimeMessages(sessions, 'bulk1', prefix), 3);

    const first = await IndexerProcess.start(env(bootstrap, topic, group, failures));
    await first.waitFor('some sessions indexed', async () => (await first.metric(indexed)) >= 100);
    await first.stop('SIGKILL');
    const before = await first.metric(indexed).catch(() => -1);
    assert.equal(before, -1, 'the first indexer is gone');

    const second = await IndexerProcess.start(env(bootstrap, topic, group, failures));
    try {
      await second.waitFor('the rest indexed', async () => {
        const stored = await allDocuments(url, `${prefix}-*`);
        return stored.length === sessions.length;
      });
      console.log(
        `# SIGKILL: ${sessions.length} produced, second indexer indexed ${await second.metric(indexed)}`,
      );
    } finally {
      await second.stop();
    }
    assert.equal(await second.exited, 0, second.output.slice(-2000));
    await assertExactlyOnce(url, prefix, sessions);
    assert.deepEqual(await endOffsets(bootstrap, failures), [0n], 'nothing on the failure topic');
  });

  test('the Kafka broker restarted mid-stream: every session exactly once', async () => {
    const broker = await KafkaBroker.create({
      version: versionsFromEnv(process.env).kafka,
      dir: mkdtempSync(join(tmpdir(), 'aki-broker-')),
    });
    await broker.start();
    after(() => broker.stop());
    const bootstrap = broker.bootstrap();
    const prefix = uniqueName('arkime_broker').toLowerCase();
    const [topic, group, failures] = [uniqueName('spi'), uniqueName('indexer'), uniqueName('spi-failed')];
    after(await installTemplate(url, prefix));
    await createTopic(bootstrap, topic, 3);
    await createTopic(bootstrap, failures);
    const messages = arkimeMessages(sessions, 'bulk1', prefix);
    const half = Math.floor(messages.length / 2);
    await produce(bootstrap, topic, messages.slice(0, half), 3);

    const indexer = await IndexerProcess.start(env(bootstrap, topic, group, failures));
    try {
      await indexer.waitFor('some sessions indexed', async () => (await indexer.metric(indexed)) >= 100);
      await broker.stop();
      await broker.start();
      await produce(bootstrap, topic, messages.slice(half), 3);
      await indexer.waitFor(
        'every session indexed',
        async () => (await allDocuments(url, `${prefix}-*`)).length === sessions.length,
        120_000,
      );
      console.log(
        `# broker restart: ${sessions.length} produced, ${await indexer.metric(indexed)} index acknowledgements`,
      );
    } finally {
      await indexer.stop();
    }
    assert.equal(await indexer.exited, 0, indexer.output.slice(-2000));
    await assertExactlyOnce(url, prefix, sessions);
    assert.deepEqual(await endOffsets(bootstrap, failures), [0n], 'nothing on the failure topic');
  });
});
