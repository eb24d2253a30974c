// The indexer consuming and producing over TLS with a client certificate, and over SASL_SSL with
// each SASL mechanism, against a broker of its own (the shared stack speaks plaintext only); and
// failing fast, with one line saying why, when the CA, the password or the mechanism is wrong.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { bulkLines, indexFor, readSessions, type ArkimeSession } from '../../stack/arkime.js';
import { brokerSslProperties, makeCertificates, type Certificates } from '../../stack/certificates.js';
import { KafkaBroker, saslListenerProperties, scramUser } from '../../stack/kafka-broker.js';
import { uniqueName } from '../../stack/names.js';
import { versionsFromEnv } from '../../stack/versions.js';
import { indexerRun, startIndexer, stopCleanly } from '../helpers/indexer.js';
import { required, useStack } from '../helpers/stack.js';

const secret = (): string => `pw-${randomBytes(12).toString('hex')}`;

/** How long a misconfigured indexer may take to give up. */
const failFastMs = 30_000;

// At the top level, so that a stack of its own (when this file runs alone) stops after the file.
const stack = await useStack('opensearch');

describe('Kafka TLS and SASL', () => {
  let url: string;
  // Started in before(), stopped here: an after() registered inside a before() hook runs as soon as that hook ends.
  let broker: KafkaBroker | undefined;
  after(() => broker?.stop());
  const running = (): KafkaBroker => required(broker, 'secure Kafka broker');
  let certs: Certificates;
  const users = {
    'scram-sha-512': { name: 'indexer512', password: secret() },
    'scram-sha-256': { name: 'indexer256', password: secret() },
    plain: { name: 'indexerplain', password: secret() },
  } as const;

  before(async () => {
    url = required(stack.opensearch, 'opensearch').url;
    const dir = mkdtempSync(join(tmpdir(), 'aki-secure-broker-'));
    certs = await makeCertificates(join(dir, 'certificates'));
    const created = await KafkaBroker.create({
      version: versionsFromEnv(process.env).kafka,
      dir,
      listeners: [
        // Inter-broker and the test's own clients (topics, producing, reading the failure topic).
        { name: 'PLAINTEXT', protocol: 'PLAINTEXT' },
        { name: 'SSL', protocol: 'SSL' },
        { name: 'SASL_SSL', protocol: 'SASL_SSL' },
        // SCRAM-SHA-512 only, to see a mechanism the broker does not offer refused.
        { name: 'SCRAM_ONLY', protocol: 'SASL_SSL' },
      ],
      properties: {
        ...brokerSslProperties(certs),
        'listener.name.ssl.ssl.client.auth': 'required',
        ...saslListenerProperties('SASL_SSL', ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], {
          [users.plain.name]: users.plain.password,
        }),
        ...saslListenerProperties('SCRAM_ONLY', ['SCRAM-SHA-512']),
      },
      formatArguments: [
        ...scramUser('SCRAM-SHA-512', users['scram-sha-512'].name, users['scram-sha-512'].password),
        ...scramUser('SCRAM-SHA-256', users['scram-sha-256'].name, users['scram-sha-256'].password),
      ],
    });
    broker = created;
    await created.start();
  });

  const sslEnv = (): Record<string, string> => ({
    KAFKA_SSL_CA_LOCATION: certs.ca,
    KAFKA_SSL_CERT_LOCATION: certs.clientCert,
    KAFKA_SSL_KEY_LOCATION: certs.clientKey,
    KAFKA_SSL_KEY_PASSWORD: certs.clientKeyPassphrase,
  });

  const saslEnv = (mechanism: keyof typeof users): Record<string, string> => ({
    KAFKA_SSL_CA_LOCATION: certs.ca,
    KAFKA_SASL_MECHANISM: mechanism.toUpperCase(),
    KAFKA_SASL_USERNAME: users[mechanism].name,
    KAFKA_SASL_PASSWORD: users[mechanism].password,
  });

  /** Every password and passphrase of this file: none may reach the indexer's output or metrics. */
  const secrets = (): string[] => [
    certs.clientKeyPassphrase,
    certs.brokerKeystorePassword,
    ...Object.values(users).map((u) => u.password),
  ];

  function assertNoSecrets(text: string, where: string): void {
    for (const value of secrets()) assert.ok(!text.includes(value), `a password appears in the ${where}`);
  }

  /**
   * Indexes ten sessions, two of them breaking the mapping, through `listener` with `security`:
   * consumed through it, and the two failures produced through it to the failure topic.
   */
  async function indexThrough(
    t: TestContext,
    listener: string,
    security: Record<string, string>,
  ): Promise<void> {
    // Topics made and read through the plaintext listener; the indexer goes through `listener`.
    const run = await indexerRun(t, { bootstrap: running().bootstrap(), url, name: 'arkime_secure' });
    const { prefix } = run;
    const sessions = readSessions().slice(200, 210);
    const broken = new Map<number, ArkimeSession>([
      [3, { ...sessions[3]!, doc: { ...sessions[3]!.doc, firstPacket: 'yesterday' } }],
      [7, { ...sessions[7]!, doc: { ...sessions[7]!.doc, source: { ip: 'not-an-ip' } } }],
    ]);
    const pairs = sessions.map((s, i) => bulkLines(broken.get(i) ?? s, indexFor(s, prefix)));
    await run.produce([Buffer.from(pairs.join(''))]);

    const secured = running().bootstrap(listener);
    const indexer = await run.start({
      KAFKA_CONSUMER_BROKERS: secured,
      KAFKA_PRODUCER_BROKERS: secured,
      ...security,
    });
    await indexer.waitFor('good documents indexed and bad ones produced', async () => {
      const indexed = await indexer.metric('indexed_documents_total');
      const produced = await indexer.metric('msg_produced_success_total');
      return indexed === 8 && produced === 2;
    });
    assertNoSecrets(await indexer.metrics(), '/metrics');
    await stopCleanly(indexer);
    assertNoSecrets(indexer.output, 'indexer output');

    const records = await run.failureRecords(2);
    assert.deepEqual(
      new Set(records.map((r) => r.headers.get('aki.id'))),
      new Set([...broken.values()].map((s) => s.id)),
    );
    assert.equal((await run.documents()).length, 8);
  }

  /**
   * Starts the indexer on `listener` with `security`, expects it to exit non-zero within
   * failFastMs, and returns the one line saying why (an error log line's message, or the
   * command's own error line on stderr).
   */
  async function failsFast(
    t: TestContext,
    listener: string,
    security: Record<string, string>,
  ): Promise<string> {
    const started = Date.now();
    const indexer = await startIndexer(t, {
      KAFKA_CONSUMER_BROKERS: running().bootstrap(listener),
      KAFKA_CONSUMER_TOPIC: uniqueName('spi'),
      KAFKA_CONSUMER_GROUP_NAME: uniqueName('indexer'),
      KAFKA_PRODUCER_BROKERS: running().bootstrap(listener),
      KAFKA_PRODUCER_TOPIC: uniqueName('spi-failed'),
      ELASTIC_SERVICE: url,
      ...security,
    });
    const timer = setTimeout(() => void indexer.stop('SIGKILL'), failFastMs);
    const code = await indexer.exited;
    clearTimeout(timer);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    assert.ok(
      code !== null && code !== 0,
      `exits non-zero within ${failFastMs} ms, not ${code}:\n${indexer.output}`,
    );
    assertNoSecrets(indexer.output, 'indexer output');
    const logged = indexer.lines
      .filter((line) => typeof line['level'] === 'number' && line['level'] >= 50)
      .map((line) => String((line['err'] as { message?: unknown } | undefined)?.message ?? line['msg']));
    const printed = indexer.output.split('\n').filter((line) => line.startsWith('arkime-kafka-indexer: '));
    const reasons = [...logged, ...printed];
    assert.equal(reasons.length, 1, `one line says why:\n${indexer.output.slice(-3000)}`);
    console.log(`# exit ${code} after ${seconds} s: ${reasons[0]}`);
    return reasons[0]!;
  }

  test('SSL with a client certificate and an encrypted key: consumes and produces', async (t) => {
    await indexThrough(t, 'SSL', sslEnv());
  });

  for (const mechanism of ['scram-sha-512', 'scram-sha-256', 'plain'] as const) {
    test(`SASL_SSL with ${mechanism.toUpperCase()}: consumes and produces`, async (t) => {
      await indexThrough(t, 'SASL_SSL', saslEnv(mechanism));
    });
  }

  test('a CA that did not sign the broker certificate: exits at once, saying so', async (t) => {
    const output = await failsFast(t, 'SSL', { ...sslEnv(), KAFKA_SSL_CA_LOCATION: certs.otherCa });
    assert.match(
      output,
      /^Kafka consumer cannot connect to .*: the broker's TLS certificate is not trusted \(.+\): check KAFKA_SSL_CA_LOCATION=/,
    );
  });

  test('no client certificate where the broker requires one: exits at once, saying so', async (t) => {
    const output = await failsFast(t, 'SSL', { KAFKA_SSL_CA_LOCATION: certs.ca });
    assert.match(
      output,
      /: the broker closed every connection right after the TLS handshake: .* check KAFKA_SSL_CERT_LOCATION and KAFKA_SSL_KEY_LOCATION$/,
    );
  });

  test('a wrong SASL password: exits at once, saying authentication failed', async (t) => {
    const output = await failsFast(t, 'SASL_SSL', {
      ...saslEnv('scram-sha-512'),
      KAFKA_SASL_PASSWORD: secret(),
    });
    assert.match(
      output,
      /: SASL SCRAM-SHA-512 authentication of user "indexer512" failed \(.+\): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD$/,
    );
  });

  test('a mechanism the broker does not enable: exits at once, naming it', async (t) => {
    const output = await failsFast(t, 'SCRAM_ONLY', saslEnv('plain'));
    assert.match(
      output,
      /: the broker does not offer the SASL mechanism PLAIN on this listener: check KAFKA_SASL_MECHANISM$/,
    );
  });

  // Beside the refusals above, the other setting no retry fixes: found on Kafka 3.9, where the
  // indexer used to wait for the brokers for ever (npm run test:kafka-versions runs this file there).
  const kafkaMajor = Number(versionsFromEnv(process.env).kafka.split('.')[0]);
  test(
    'KAFKA_CONSUMER_INCREMENTAL_REBALANCE=true on a broker without KIP-848 (before 4.0): exits at once, naming the setting',
    { skip: kafkaMajor >= 4 && 'Kafka 4 runs the KIP-848 protocol' },
    async (t) => {
      // Topics that exist: the client refuses an unknown topic before it joins the group.
      const run = await indexerRun(t, { bootstrap: running().bootstrap(), url, name: 'arkime_kip848' });
      const output = await failsFast(t, 'PLAINTEXT', {
        ...run.env,
        KAFKA_CONSUMER_INCREMENTAL_REBALANCE: 'true',
      });
      assert.match(
        output,
        /^Kafka consumer cannot join the group ".+" at .+: the brokers do not run the KIP-848 consumer group protocol \(.+\), on by default from Kafka 4\.0: set KAFKA_CONSUMER_INCREMENTAL_REBALANCE=false, or upgrade the brokers$/,
      );
    },
  );

  test('an unreadable certificate file: exits before connecting, naming the variable and path', async (t) => {
    const missing = join(tmpdir(), uniqueName('missing-ca'));
    const output = await failsFast(t, 'SSL', { ...sslEnv(), KAFKA_SSL_CA_LOCATION: missing });
    assert.equal(
      output,
      `arkime-kafka-indexer: KAFKA_SSL_CA_LOCATION="${missing}" cannot be read: no such file`,
    );
  });
});
