// The search cluster behind a real TLS-terminating reverse proxy (nginx) that checks basic
// authentication, an ApiKey header or a bearer token: documents arrive with the right
// credentials; wrong credentials and an untrusted certificate are said once, clearly, and nothing
// is committed. And the allow-list: documents aimed at other indices or using other actions go to
// the failure topic as not_allowed and never reach the cluster. One nginx and one search node
// serve every case; the cases run side by side.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { arkimeMessages, bulkLines, indexFor, readSessions, type ArkimeSession } from '../../stack/arkime.js';
import type { Certificates } from '../../stack/certificates.js';
import { committedOffsets, createTopic, produce, readRecords } from '../../stack/kafka-topics.js';
import { uniqueName } from '../../stack/names.js';
import type { SearchProxy } from '../../stack/nginx.js';
import { allDocuments, call, installTemplate } from '../../stack/search-client.js';
import { startIndexer, stopCleanly, type IndexerProcess } from '../helpers/indexer.js';
import { secret, startSearchProxy, type ProxyCredentials } from '../helpers/search-proxy.js';
import { required, useStack } from '../helpers/stack.js';

// At the top level, so that a stack of its own (when this file runs alone) stops after the file.
const stack = await useStack('kafka', 'opensearch');

describe('search cluster security', { concurrency: true }, () => {
  const bootstrap = required(stack.kafka, 'kafka').bootstrap;
  const url = required(stack.opensearch, 'opensearch').url;
  let credentials: ProxyCredentials;
  let certs: Certificates;
  // Started in before(), stopped here: an after() registered inside a before() hook runs at once.
  let proxy: SearchProxy | undefined;
  after(() => proxy?.stop());
  // One template and one daily index for every case (creating indices is what is slow): each
  // case sends sessions of its own, and looks for their ids.
  const prefix = uniqueName('arkime_sec').toLowerCase();
  let removeTemplate: (() => Promise<void>) | undefined;
  after(() => removeTemplate?.());
  const oneDay = readSessions().filter((s) => s.index.endsWith('-231114'));
  let taken = 0;
  const take = (count: number): ArkimeSession[] => oneDay.slice(taken, (taken += count));
  const storedIds = async (): Promise<Set<string>> =>
    new Set((await allDocuments(url, `${prefix}-*`)).map((doc) => doc._id));
  const door = (name: 'basic' | 'apiKey' | 'bearer'): string => required(proxy, 'nginx').url(name);
  const port = (name: 'basic' | 'apiKey' | 'bearer'): number => required(proxy, 'nginx').ports[name];

  before(async () => {
    ({ proxy, certs, credentials } = await startSearchProxy(url));
    removeTemplate = await installTemplate(url, prefix);
  });

  function assertNoSecrets(text: string, where: string): void {
    for (const value of [credentials.password, credentials.apiKey, credentials.token]) {
      assert.ok(!text.includes(value), `a secret appears in the ${where}`);
    }
  }

  /** A topic holding `sessions` (one bulk message, as Arkime writes it). */
  async function sessionsTopic(sessions: ArkimeSession[]): Promise<string> {
    const topic = uniqueName('spi');
    await createTopic(bootstrap, topic);
    await produce(bootstrap, topic, arkimeMessages(sessions, 'bulk', prefix));
    return topic;
  }

  function indexer(
    t: TestContext,
    topic: string,
    group: string,
    env: Record<string, string>,
  ): Promise<IndexerProcess> {
    return startIndexer(t, {
      KAFKA_CONSUMER_BROKERS: bootstrap,
      KAFKA_CONSUMER_TOPIC: topic,
      KAFKA_CONSUMER_GROUP_NAME: group,
      BULKER_FLUSH_INTERVAL: '200ms',
      ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '200ms',
      ...env,
    });
  }

  /** Waits until the group has committed `offset` on the topic's one partition. */
  async function committed(running: IndexerProcess, group: string, topic: string, offset: bigint) {
    await running.waitFor(`offset ${offset} committed`, async () => {
      const [at] = await committedOffsets(bootstrap, group, topic, 1);
      return at === offset;
    });
  }

  const ways: [string, () => Record<string, string>][] = [
    [
      'basic authentication (ELASTIC_USERNAME/ELASTIC_PASSWORD), host:port with ELASTIC_USE_HTTPS',
      () => ({
        ELASTIC_SERVICE: `127.0.0.1:${port('basic')}`,
        ELASTIC_USE_HTTPS: 'true',
        ELASTIC_USERNAME: credentials.user,
        ELASTIC_PASSWORD: credentials.password,
      }),
    ],
    [
      'basic authentication from user:password@ in ELASTIC_SERVICE',
      () => ({
        ELASTIC_SERVICE: `https://${credentials.user}:${credentials.password}@127.0.0.1:${port('basic')}`,
      }),
    ],
    [
      'an API key (ELASTIC_API_KEY)',
      () => ({ ELASTIC_SERVICE: door('apiKey'), ELASTIC_API_KEY: credentials.apiKey }),
    ],
    [
      'a service token (ELASTIC_SERVICE_TOKEN)',
      () => ({ ELASTIC_SERVICE: door('bearer'), ELASTIC_SERVICE_TOKEN: credentials.token }),
    ],
  ];

  for (const [way, env] of ways) {
    test(`${way}, the proxy's certificate verified with ELASTIC_SSL_CA_LOCATION: documents arrive`, async (t) => {
      const sessions = take(10);
      const topic = await sessionsTopic(sessions);
      const group = uniqueName('indexer');
      const running = await indexer(t, topic, group, { ELASTIC_SSL_CA_LOCATION: certs.ca, ...env() });
      await committed(running, group, topic, 1n);
      assertNoSecrets(await running.metrics(), '/metrics');
      await stopCleanly(running);
      assertNoSecrets(running.output, 'indexer output');
      const stored = await storedIds();
      for (const session of sessions) assert.ok(stored.has(session.id), `${session.id} indexed`);
    });
  }

  /**
   * Runs an indexer that cannot get its documents in, until it has retried `tries` times;
   * checks that nothing was committed past the start (offset 0, committed when the partition was
   * first read) nor indexed, then kills it (a stop would wait for the
   * stuck batch's grace time) and returns its error lines.
   */
  async function refused(
    t: TestContext,
    env: Record<string, string>,
    tries = 4,
  ): Promise<Record<string, unknown>[]> {
    const sessions = take(5);
    const topic = await sessionsTopic(sessions);
    const group = uniqueName('indexer');
    // Many tries before "search cluster unavailable": the refusal line is the one error expected.
    const running = await indexer(t, topic, group, { ELASTIC_CLIENT_MAX_RETRIES: '1000', ...env });
    await running.waitForMetric('bulk_index_retry_total', (n) => n >= tries);
    // Every request refused whole or unanswered: none accepted, in whole or per item.
    for (const outcome of ['ok', 'item_errors']) {
      assert.equal(await running.metric('bulk_request_duration_seconds_count', `outcome="${outcome}"`), 0);
    }
    assert.deepEqual(
      await committedOffsets(bootstrap, group, topic, 1),
      [0n],
      'nothing committed past the start',
    );
    assert.equal(await running.metric('indexed_documents_total'), 0);
    assertNoSecrets(await running.metrics(), '/metrics');
    await running.stop('SIGKILL');
    assertNoSecrets(running.output, 'indexer output');
    const stored = await storedIds();
    assert.ok(!sessions.some((session) => stored.has(session.id)), 'nothing indexed');
    return running.lines.filter((line) => typeof line['level'] === 'number' && line['level'] >= 50);
  }

  test('a wrong password: one clear error (status, node, method, no secret), retried, nothing committed', async (t) => {
    const errors = await refused(t, {
      ELASTIC_SERVICE: door('basic'),
      ELASTIC_SSL_CA_LOCATION: certs.ca,
      ELASTIC_USERNAME: credentials.user,
      ELASTIC_PASSWORD: secret(),
    });
    assert.equal(errors.length, 1, JSON.stringify(errors));
    const [error] = errors;
    assert.equal(error?.['status'], 401);
    assert.equal(error?.['node'], door('basic'));
    assert.equal(error?.['auth'], 'Basic (ELASTIC_USERNAME/ELASTIC_PASSWORD)');
    assert.match(String(error?.['msg']), /refused the credentials \(401\) sent as Basic/);
    console.log(`# ${String(error?.['msg'])}`);
  });

  test('a wrong API key: the same, naming ELASTIC_API_KEY and the cluster-shaped error type', async (t) => {
    const [error, ...more] = await refused(t, {
      ELASTIC_SERVICE: door('apiKey'),
      ELASTIC_SSL_CA_LOCATION: certs.ca,
      ELASTIC_API_KEY: secret(),
    });
    assert.equal(more.length, 0);
    assert.equal(error?.['auth'], 'ApiKey (ELASTIC_API_KEY)');
    assert.equal(error?.['type'], 'security_exception');
  });

  test("a CA that did not sign the proxy's certificate: said once, naming ELASTIC_SSL_CA_LOCATION; nothing committed", async (t) => {
    const errors = await refused(t, {
      ELASTIC_SERVICE: door('bearer'),
      ELASTIC_SSL_CA_LOCATION: certs.otherCa,
      ELASTIC_SERVICE_TOKEN: credentials.token,
    });
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(
      String(errors[0]?.['msg']),
      new RegExp(
        `has a TLS certificate that is not trusted \\(.+\\) by ELASTIC_SSL_CA_LOCATION="${certs.otherCa}"`,
      ),
    );
    console.log(`# ${String(errors[0]?.['msg'])}`);
  });

  test('the allow-list: other indices and actions go to the failure topic as not_allowed, never sent', async (t) => {
    const [topic, failures, group] = [uniqueName('spi'), uniqueName('spi-failed'), uniqueName('indexer')];
    await createTopic(bootstrap, topic);
    await createTopic(bootstrap, failures);
    const [a, b, c, d, e] = take(5).map((s) => required(s, 'session')) as [
      ArkimeSession,
      ArkimeSession,
      ArkimeSession,
      ArkimeSession,
      ArkimeSession,
    ];
    const allowedIndex = (s: ArkimeSession): string => indexFor(s, prefix);
    const elsewhere = bulkLines(b, `${prefix}-users`);
    // Sent, it would remove the document indexed just before it in the same request.
    const deletion = `{"delete":{"_index":"${allowedIndex(a)}","_id":"${a.id}"}}\n`;
    const noIndex = `{"index":{"_id":"${d.id}"}}\n${JSON.stringify(d.doc)}\n`;
    const docElsewhere = JSON.stringify({ ...e.doc, index: `${prefix}-other` });
    await produce(bootstrap, topic, [
      Buffer.from(
        bulkLines(a, allowedIndex(a)) + elsewhere + deletion + bulkLines(c, allowedIndex(c)) + noIndex,
      ),
      Buffer.from(docElsewhere),
    ]);
    const running = await indexer(t, topic, group, {
      ELASTIC_SERVICE: url,
      KAFKA_PRODUCER_BROKERS: bootstrap,
      KAFKA_PRODUCER_TOPIC: failures,
      ELASTIC_ALLOWED_INDICES: `${prefix}-2*,${prefix}-nothing`,
      ELASTIC_ALLOWED_ACTIONS: 'index',
    });
    await committed(running, group, topic, 2n);
    assert.equal(await running.metric('documents_failed_total', 'reason="not_allowed"'), 4);
    await stopCleanly(running);
    const records = await readRecords(bootstrap, failures, 4);
    // The `doc` message's document carries the id derived for it (ELASTIC_DETERMINISTIC_IDS, on by
    // default), so that a replay indexes it under that id: its index is not Arkime's, so the id
    // is the hash alone.
    const derived = records.map((r) => r.value.toString()).find((v) => v.includes(`${prefix}-other`));
    const derivedId = /"_id":"([A-Za-z0-9_-]{24})"/.exec(derived ?? '')?.[1];
    assert.ok(derivedId !== undefined, derived);
    assert.deepEqual(
      records.map((r) => r.value.toString()).sort(),
      [
        elsewhere,
        deletion,
        noIndex,
        `{"index":{"_index":"${prefix}-other","_id":"${derivedId}"}}\n${JSON.stringify(e.doc)}\n`,
      ].sort(),
    );
    for (const record of records) assert.equal(record.headers.get('aki.error.type'), 'not_allowed');
    const stored = await storedIds();
    assert.deepEqual(
      [a, b, c, d, e].map((s) => stored.has(s.id)),
      [true, false, true, false, false],
      'a and c indexed (the delete of a never sent), the others not',
    );
    const elsewhereIndices = `${prefix}-users,${prefix}-other?ignore_unavailable=true&allow_no_indices=true`;
    assert.deepEqual(await call('GET', `${url}/${elsewhereIndices}`), {}, 'no index created elsewhere');
  });

  test('an invalid allow-list pattern or Cloud ID: exit 2 before connecting, one line each', async (t) => {
    const running = await startIndexer(t, {
      KAFKA_CONSUMER_TOPIC: 'spi',
      KAFKA_CONSUMER_GROUP_NAME: 'indexer',
      ELASTIC_CLOUD_ID: 'arkime:not-base64!',
      ELASTIC_ALLOWED_INDICES: 'Arkime_Sessions3-*',
    });
    assert.equal(await running.exited, 2);
    const lines = running.output.trim().split('\n');
    assert.deepEqual(lines, [
      'arkime-kafka-indexer: ELASTIC_CLOUD_ID is not a valid Cloud ID: the part after the last ":" is not base64',
      'arkime-kafka-indexer: ELASTIC_ALLOWED_INDICES entry "Arkime_Sessions3-*" is not valid: expected index name patterns with * wildcards (index names are lower case)',
    ]);
  });
});
