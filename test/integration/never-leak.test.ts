// Never leak: the indexer runs at LOG_LEVEL trace and debug with every kind of search credential
// (a user:password@ in ELASTIC_SERVICE, ELASTIC_PASSWORD, ELASTIC_API_KEY, ELASTIC_SERVICE_TOKEN,
// and AWS keys and session tokens for SigV4),
// is made to hit errors (refused credentials, an unreachable node, an untrusted certificate, bad
// documents, bad settings), is asked for a cluster check (SIGHUP) and scraped at /metrics (and
// /status.json, behind STATUS_PASSWORD); no
// secret, in any form a request carries it, appears anywhere in what it wrote.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { arkimeMessages, bulkLines, readSessions } from '../../stack/arkime.js';
import type { Certificates } from '../../stack/certificates.js';
import { createTopic, produce, readRecords } from '../../stack/kafka-topics.js';
import { uniqueName } from '../../stack/names.js';
import type { SearchProxy } from '../../stack/nginx.js';
import { freePort } from '../../stack/ports.js';
import { newKey } from '../../stack/aws-stand-ins.js';
import { SigV4Proxy } from '../../stack/sigv4-proxy.js';
import { isolatedAws, keyEnv } from '../helpers/aws.js';
import { indexerRun, runCli, startIndexer, stopCleanly, type IndexerProcess } from '../helpers/indexer.js';
import { secret, startSearchProxy, type ProxyCredentials } from '../helpers/search-proxy.js';
import { required, useStack } from '../helpers/stack.js';

const stack = await useStack('kafka', 'opensearch');

/** Every form a secret travels in: as set, percent-encoded in an address, and base64 in a Basic header. */
function forms(user: string, value: string): string[] {
  return [value, encodeURIComponent(value), Buffer.from(`${user}:${value}`).toString('base64')];
}

describe('never leak a secret', { concurrency: true }, () => {
  const bootstrap = required(stack.kafka, 'kafka').bootstrap;
  const url = required(stack.opensearch, 'opensearch').url;
  // Given to the indexer, each wrong for the proxy (except where a case says so).
  const given = {
    urlPassword: secret(),
    password: secret(),
    apiKey: secret(),
    token: secret(),
    statusPassword: secret(),
  };
  let credentials: ProxyCredentials;
  let certs: Certificates;
  let proxy: SearchProxy | undefined;
  after(() => proxy?.stop());
  const port = (door: 'basic' | 'apiKey' | 'bearer'): number => required(proxy, 'nginx').ports[door];

  before(async () => {
    ({ proxy, certs, credentials } = await startSearchProxy(url));
  });

  const everySecret = (): string[] =>
    [...Object.values(given), credentials.password, credentials.apiKey, credentials.token].flatMap((value) =>
      forms('indexer', value),
    );

  function assertNoSecret(text: string, where: string): void {
    for (const value of everySecret()) assert.ok(!text.includes(value), `a secret appears in ${where}`);
  }

  /** What the indexer wrote, checked; and no line had a secret blanked out by the logger's last defence. */
  function assertCleanOutput(running: IndexerProcess): void {
    assertNoSecret(running.output, 'the output');
    const blanked = running.lines.filter((line) => JSON.stringify(line).includes('***'));
    assert.deepEqual(
      blanked,
      [],
      'a secret reached the logger (blanked out there, but the code should not log it)',
    );
  }

  async function topicWith(values: Buffer[]): Promise<string> {
    const topic = uniqueName('spi');
    await createTopic(bootstrap, topic);
    await produce(bootstrap, topic, values);
    return topic;
  }

  /** Quick retries, few before the cluster counts as unavailable: every error path is reached soon. */
  const quickly = (): Record<string, string> => ({
    ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '200ms',
    ELASTIC_CLIENT_MAX_RETRIES: '3',
    ELASTIC_SSL_CA_LOCATION: certs.ca,
  });

  function start(t: TestContext, topic: string, env: Record<string, string>): Promise<IndexerProcess> {
    return startIndexer(t, {
      KAFKA_CONSUMER_BROKERS: bootstrap,
      KAFKA_CONSUMER_TOPIC: topic,
      KAFKA_CONSUMER_GROUP_NAME: uniqueName('indexer'),
      BULKER_FLUSH_INTERVAL: '200ms',
      ...quickly(),
      ...env,
    });
  }

  const session = readSessions().find((s) => s.index.endsWith('-231114'));
  const oneMessage = (prefix: string): Buffer[] =>
    arkimeMessages([required(session, 'session')], 'bulk', prefix);

  test('trace: refused user:password@ on one node, a closed port on the other, a SIGHUP check, /metrics', async (t) => {
    const closed = await freePort();
    const address = (p: number): string => `https://indexer:${given.urlPassword}@127.0.0.1:${p}`;
    const running = await start(t, await topicWith(oneMessage('leak-a')), {
      LOG_LEVEL: 'trace',
      ELASTIC_SERVICE: `${address(port('basic'))},${address(closed)}`,
    });
    // Waits on the lines themselves: what they say is what must hold no secret.
    await running.waitFor('a refusal, an unreachable node and the cluster unavailable', () => {
      const text = running.output;
      return /refused the credentials/.test(text) && /ECONNREFUSED/.test(text) && /unavailable/.test(text);
    });
    process.kill(running.pid, 'SIGHUP');
    await running.waitFor('the SIGHUP check logged', () => /search cluster check/.test(running.output));
    assertNoSecret(await running.metrics(), '/metrics');
    await running.stop('SIGKILL');
    assertCleanOutput(running);
  });

  test('debug: a refused API key, and a service token sent to a node whose certificate is not trusted', async (t) => {
    const [refusedKey, untrusted] = await Promise.all([
      start(t, await topicWith(oneMessage('leak-b')), {
        ELASTIC_SERVICE: `https://127.0.0.1:${port('apiKey')}`,
        ELASTIC_API_KEY: given.apiKey,
      }),
      start(t, await topicWith(oneMessage('leak-c')), {
        ELASTIC_SERVICE: `https://127.0.0.1:${port('bearer')}`,
        ELASTIC_SERVICE_TOKEN: given.token,
        ELASTIC_SSL_CA_LOCATION: certs.otherCa,
      }),
    ]);
    await refusedKey.waitFor('the refusal', () => /refused the credentials/.test(refusedKey.output));
    await untrusted.waitFor('the untrusted certificate', () => /not trusted/.test(untrusted.output));
    assertNoSecret(await refusedKey.metrics(), '/metrics');
    assertNoSecret(await untrusted.metrics(), '/metrics');
    await Promise.all([refusedKey.stop('SIGKILL'), untrusted.stop('SIGKILL')]);
    assertCleanOutput(refusedKey);
    assertCleanOutput(untrusted);
  });

  test('trace, the right password: indexed, bad documents to the failure topic, a clean stop', async (t) => {
    const run = await indexerRun(t, { bootstrap, url, name: 'leak_ok' });
    const { prefix } = run;
    const good = required(session, 'session');
    const values = [
      ...oneMessage(prefix),
      Buffer.from(bulkLines({ ...good, doc: { ...good.doc, firstPacket: 'yesterday' } }, `${prefix}-231114`)),
      Buffer.from(bulkLines(good, 'elsewhere')),
    ];
    await run.produce(values);
    const running = await run.start({
      ...quickly(),
      LOG_LEVEL: 'trace',
      ELASTIC_SERVICE: `https://127.0.0.1:${port('basic')}`,
      ELASTIC_USERNAME: credentials.user,
      ELASTIC_PASSWORD: credentials.password,
      ELASTIC_ALLOWED_INDICES: `${prefix}-*`,
      STATUS_USERNAME: 'indexer',
      STATUS_PASSWORD: given.statusPassword,
    });
    await run.waitAllCommitted(running);
    assert.deepEqual(await run.committed(), [BigInt(values.length)]);
    assert.equal(await running.metric('indexed_documents_total'), 1);
    assert.equal(await running.metric('msg_produced_success_total'), 2);
    assertNoSecret(await running.metrics(), '/metrics');
    const [authorization] = forms('indexer', given.statusPassword).slice(-1);
    const status = await fetch(`http://127.0.0.1:${running.port}/status.json`, {
      headers: { authorization: `Basic ${authorization}` },
    });
    assert.equal(status.status, 200);
    assertNoSecret(await status.text(), '/status.json');
    await stopCleanly(running);
    assertCleanOutput(running);
  });

  test('bad settings with every secret set: the start-up refusal lines name variables, never values', async (t) => {
    const settings = {
      LOG_LEVEL: 'trace',
      KAFKA_CONSUMER_TOPIC: 'spi',
      KAFKA_CONSUMER_GROUP_NAME: 'indexer',
      ELASTIC_SERVICE: `https://indexer:${given.urlPassword}@es 1:9200,https://indexer:${given.urlPassword}@es-2`,
      ELASTIC_USERNAME: 'indexer',
      ELASTIC_PASSWORD: given.password,
      ELASTIC_API_KEY: given.apiKey,
      ELASTIC_SERVICE_TOKEN: given.token,
      ELASTIC_SSL_CA_LOCATION: '/nonexistent/ca.pem',
      STATUS_PASSWORD: given.statusPassword,
    };
    // A bad value stops the loading; without one, the search settings are checked, a line each.
    const [badValue, badSearch] = await Promise.all([
      startIndexer(t, { ...settings, BULKER_MAX_MESSAGES: 'lots' }),
      startIndexer(t, settings),
    ]);
    assert.deepEqual(await Promise.all([badValue.exited, badSearch.exited]), [2, 2]);
    assertNoSecret(badValue.output, 'the start-up errors');
    assertNoSecret(badSearch.output, 'the start-up errors');
    const printed = badValue.output.trim().split('\n');
    assert.equal(printed.length, 1, badValue.output);
    assert.match(
      printed[0] ?? '',
      /^arkime-kafka-indexer: BULKER_MAX_MESSAGES="lots" is not valid: expected /,
    );
    assert.deepEqual(badSearch.output.trim().split('\n'), [
      'arkime-kafka-indexer: ELASTIC_SERVICE entry "https://***@es 1:9200" is not valid: expected a host, host:port or an http(s) URL',
      'arkime-kafka-indexer: ELASTIC_API_KEY, ELASTIC_SERVICE_TOKEN, ELASTIC_USERNAME and a user:password@ in ELASTIC_SERVICE are all set: choose one way to authenticate',
      'arkime-kafka-indexer: ELASTIC_SSL_CA_LOCATION="/nonexistent/ca.pem" cannot be read: no such file',
    ]);
  });
});

// SigV4 (issue 28): the keys come from AWS_* variables, not from settings of ours, so the logger's
// last defence does not know them; nothing may print them in the first place. The verifying proxy
// (stack/sigv4-proxy.ts, a stand-in for Amazon OpenSearch Service) answers a wrong signature
// with AWS's body, which echoes the canonical request, session token included.
describe('never leak AWS credentials', () => {
  const bootstrap = required(stack.kafka, 'kafka').bootstrap;
  const url = required(stack.opensearch, 'opensearch').url;
  let proxy: SigV4Proxy | undefined;
  after(() => proxy?.stop());
  const key = newKey(3_600_000);
  const wrongSecret = `${key.secretAccessKey}-wrong`;
  const awsSecrets = [key.accessKeyId, key.secretAccessKey, wrongSecret, key.sessionToken as string];

  before(async () => {
    proxy = new SigV4Proxy(url, 'eu-west-1');
    await proxy.start();
    proxy.allow(key);
  });

  function assertNoAwsSecret(text: string, where: string): void {
    for (const value of awsSecrets) assert.ok(!text.includes(value), `an AWS credential appears in ${where}`);
  }

  const awsEnv = (): Record<string, string> => ({
    ...isolatedAws,
    ...keyEnv({ ...key, secretAccessKey: wrongSecret }),
    ELASTIC_SERVICE: required(proxy, 'proxy').url,
    ELASTIC_AWS_SIGV4: 'true',
    ELASTIC_AWS_SIGV4_REGION: 'eu-west-1',
  });

  test('trace: a wrong secret key refused with the token echoed, given up to the failure topic, a SIGHUP check, /metrics, /status.json, --print-config', async (t) => {
    const topic = uniqueName('spi');
    const failures = uniqueName('spi-failed');
    await createTopic(bootstrap, topic);
    await createTopic(bootstrap, failures);
    const session = required(readSessions()[0], 'session');
    await produce(bootstrap, topic, arkimeMessages([session], 'bulk', 'leak-aws'));
    const running = await startIndexer(t, {
      ...awsEnv(),
      // Given up after 3 s: the refusal's reason travels to the failure topic.
      ELASTIC_CLIENT_RETRY_GIVE_UP_AFTER: '3s',
      KAFKA_PRODUCER_BROKERS: bootstrap,
      KAFKA_PRODUCER_TOPIC: failures,
      KAFKA_CONSUMER_BROKERS: bootstrap,
      KAFKA_CONSUMER_TOPIC: topic,
      KAFKA_CONSUMER_GROUP_NAME: uniqueName('indexer'),
      BULKER_FLUSH_INTERVAL: '200ms',
      ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '200ms',
      ELASTIC_CLIENT_MAX_RETRIES: '3',
      LOG_LEVEL: 'trace',
    });
    await running.waitFor(
      'the refusal and the cluster unavailable',
      () => /refused the request signature/.test(running.output) && /unavailable/.test(running.output),
    );
    assert.ok(
      required(proxy, 'proxy').seen.some((s) => s.verdict === 'mismatch'),
      'the proxy refused, echoing the token',
    );
    await running.waitForMetric('msg_produced_success_total', (n) => n >= 1);
    const [record] = await readRecords(bootstrap, failures, 1);
    const failed = `${record?.value.toString()} ${JSON.stringify([...(record?.headers ?? [])])}`;
    assert.match(failed, /signature we calculated/, 'the reason reached the failure topic');
    assertNoAwsSecret(failed, 'the failure topic');
    assert.ok(
      !failed.includes('Canonical String'),
      'the echoed canonical request is not in the failure topic',
    );
    process.kill(running.pid, 'SIGHUP');
    await running.waitFor('the SIGHUP check logged', () => /search cluster check/.test(running.output));
    assertNoAwsSecret(await running.metrics(), '/metrics');
    const status = await (await fetch(`http://127.0.0.1:${running.port}/status.json`)).text();
    assert.match(status, /signature/, 'the refusal reached /status.json');
    assertNoAwsSecret(status, '/status.json');
    await running.stop('SIGKILL');
    assertNoAwsSecret(running.output, 'the output');
    assert.ok(!running.output.includes('Canonical String'), 'the echoed canonical request is never shown');
    const printed = await runCli(['--print-config'], {
      ...awsEnv(),
      KAFKA_CONSUMER_BROKERS: bootstrap,
      KAFKA_CONSUMER_TOPIC: topic,
      KAFKA_CONSUMER_GROUP_NAME: 'indexer',
    });
    assert.equal(printed.code, 0, printed.lines.join('\n'));
    assertNoAwsSecret(printed.lines.join('\n'), '--print-config');
  });
});
