import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { maxRequestBytes } from '../../src/config/limits.js';
import { loadConfig, maskCredentials, redacted, secretValues } from '../../src/config/load.js';
import { schema, type Config, type Setting } from '../../src/config/schema.js';

const required = {
  KAFKA_CONSUMER_TOPIC: 'arkime-sessions',
  KAFKA_CONSUMER_GROUP_NAME: 'arkime-indexer',
  ELASTIC_SERVICE: 'es.example',
};

// The Go indexer's defaults (its envconfig table), parsed: durations in ms. This is the contract.
const goDefaults: Record<string, unknown> = {
  PORT: 8080,
  LOG_LEVEL: 'debug',
  KAFKA_CONSUMER_BROKERS: ['localhost:9092'],
  KAFKA_CONSUMER_INCREMENTAL_REBALANCE: false,
  KAFKA_SESSION_TIMEOUT: 6000,
  KAFKA_POLL_TIMEOUT: 100,
  KAFKA_FLUSH_INTERVAL: 100,
  KAFKA_PRODUCER_BROKERS: ['localhost:9092'],
  KAFKA_PRODUCER_TOPIC: '',
  KAFKA_PRODUCER_MSG_TIMEOUT: 30_000,
  KAFKA_PRODUCER_MSG_RETRIES: 100,
  KAFKA_PRODUCER_FULL_QUEUE_COOLDOWN: 1000,
  KAFKA_PRODUCER_LOG_DELIVERY_REPORTS: true,
  KAFKA_SSL_CA_LOCATION: '',
  KAFKA_SSL_CERT_LOCATION: '',
  KAFKA_SSL_KEY_LOCATION: '',
  KAFKA_SSL_KEY_PASSWORD: '',
  BULKER_FLUSH_INTERVAL: 10_000,
  BULKER_MAX_MESSAGES: 100,
  BULKER_MAX_BYTES: 10_485_760,
  ELASTIC_SERVICE_PORT: 9200,
  ELASTIC_INDEXER_INSTANCES: 1,
  ELASTIC_CLIENT_MAX_RETRIES: 10,
  ELASTIC_CLIENT_RETRY_STATUSES: [502, 503, 504, 429],
  ELASTIC_CLIENT_DISCOVER_NODES: true,
  ELASTIC_CLIENT_DISCOVER_INTERVAL: 3_600_000,
  ELASTIC_CLIENT_BULK_TIMEOUT: 500,
  ELASTIC_CLIENT_MAX_DEAD_PERCENTAGE: 20,
  ELASTIC_TRANSPORT_DIAL_TIMEOUT: 2000,
  ELASTIC_TRANSPORT_DIAL_KEEPALIVE: 5000,
  ELASTIC_TRANSPORT_MAX_IDLE_CONNS: 100,
  ELASTIC_TRANSPORT_MAX_IDLE_CONNS_PER_HOST: 100,
  ELASTIC_TRANSPORT_MAX_CONNS_PER_HOST: 100,
  ELASTIC_TRANSPORT_IDLE_CONN_TIMEOUT: 10_000,
  ELASTIC_TRANSPORT_EXPECT_CONTINUE_TIMEOUT: 1000,
  CONSUMER_CHANNEL_BUFFER_SIZE: 10,
  ERROR_CHANNEL_BUFFER_SIZE: 10,
  PRODUCER_CHANNEL_BUFFER_SIZE: 10,
  METRICS_NAMESPACE: 'arkime',
  METRICS_SUBSYSTEM: 'kafkaindexer',
  METRICS_PATH: '/metrics',
  METRICS_FLUSHED_BYTES_BUCKETS: [
    50_000, 100_000, 500_000, 1_000_000, 5_000_000, 25_000_000, 50_000_000, 75_000_000,
  ],
  METRICS_FLUSHED_MSGS_BUCKETS: [2, 4, 8, 16, 32, 64, 128, 256],
};

// Where this indexer deliberately differs (each explained by `goDefault` in the schema).
const deliberateDeviations: Record<string, unknown> = {
  LOG_LEVEL: 'info',
  ELASTIC_CLIENT_BULK_TIMEOUT: 60_000,
  ELASTIC_INDEXER_INSTANCES: 'adaptive',
};

// Settings the Go indexer does not have.
const addedDefaults: Record<string, unknown> = {
  ELASTIC_USE_HTTPS: false,
  ELASTIC_USERNAME: '',
  ELASTIC_PASSWORD: '',
  ELASTIC_API_KEY: '',
  ELASTIC_SERVICE_TOKEN: '',
  ELASTIC_SSL_CA_LOCATION: '',
  ELASTIC_CLOUD_ID: '',
  // Amazon OpenSearch Service with IAM: off, as the Go indexer has no SigV4.
  ELASTIC_AWS_SIGV4: false,
  ELASTIC_AWS_SIGV4_REGION: '',
  ELASTIC_AWS_SIGV4_SERVICE: 'es',
  // Drop-in: every index and action the Go indexer accepts is allowed unless narrowed.
  ELASTIC_ALLOWED_INDICES: ['*'],
  ELASTIC_ALLOWED_ACTIONS: ['index', 'create', 'update', 'delete'],
  ELASTIC_CLIENT_COMPRESS_REQUESTS: false,
  SUMMARY_LOG_INTERVAL: 30_000,
  ELASTIC_CLIENT_RETRY_MAX_INTERVAL: 30_000,
  // Never give up: where the Go indexer drops a batch after its retries, this one waits.
  ELASTIC_CLIENT_RETRY_GIVE_UP_AFTER: 0,
  // On, where the Go indexer lets the cluster pick ids: a crash must not duplicate a `doc` session.
  ELASTIC_DETERMINISTIC_IDS: true,
  // Above ELASTIC_CLIENT_BULK_TIMEOUT (1m), which the node may spend waiting on index creation.
  ELASTIC_REQUEST_TIMEOUT: 90_000,
  ELASTIC_INDEXER_MAX_INSTANCES: 16,
  MAX_BUFFERED_BYTES: 64 * 1024 * 1024,
  // Wait for the brokers at start-up without end, where the Go indexer exits.
  KAFKA_STARTUP_WAIT: 0,
  // Kafka's auto.offset.reset: the oldest message kept, so that no session is skipped.
  KAFKA_CONSUMER_OFFSET_RESET: 'earliest',
  // How soon a topic created that KAFKA_CONSUMER_TOPIC's pattern matches is read.
  KAFKA_METADATA_REFRESH: 60_000,
  KAFKA_SASL_MECHANISM: '',
  KAFKA_SASL_USERNAME: '',
  KAFKA_SASL_PASSWORD: '',
  // Every interface, as before the setting: probes and Prometheus reach it as they did.
  LISTEN_ADDRESS: '',
  STATUS_USERNAME: 'admin',
  // No password: the status page stays open, as before the setting.
  STATUS_PASSWORD: '',
  STATUS_SHOW_FIELD_VALUES: false,
};

const settings = Object.entries(schema) as [keyof Config, Setting<unknown>][];
const secrets = [
  'ELASTIC_PASSWORD',
  'ELASTIC_API_KEY',
  'ELASTIC_SERVICE_TOKEN',
  'KAFKA_SSL_KEY_PASSWORD',
  'KAFKA_SASL_PASSWORD',
  'STATUS_PASSWORD',
];

function byEnvName(config: Config): Record<string, unknown> {
  return Object.fromEntries(settings.map(([key, setting]) => [setting.env, config[key]]));
}

function load(env: NodeJS.ProcessEnv): Config {
  const result = loadConfig(env);
  assert.ok(result.ok, `unexpected errors: ${result.ok ? '' : result.errors.join('; ')}`);
  return result.config;
}

function errorsOf(env: NodeJS.ProcessEnv): string[] {
  const result = loadConfig(env);
  assert.equal(result.ok, false, 'the configuration was accepted');
  return result.ok ? [] : result.errors;
}

describe('defaults', () => {
  test('with only the required variables set, every default is the Go indexer’s or a listed deviation', () => {
    const { KAFKA_CONSUMER_TOPIC, KAFKA_CONSUMER_GROUP_NAME, ELASTIC_SERVICE, ...loaded } = byEnvName(
      load(required),
    );
    assert.deepEqual(
      // The topic as written: one name, or a list or pattern (test/config/topics.test.ts).
      { KAFKA_CONSUMER_TOPIC: String(KAFKA_CONSUMER_TOPIC), KAFKA_CONSUMER_GROUP_NAME, ELASTIC_SERVICE },
      { ...required, ELASTIC_SERVICE: ['es.example'] },
    );
    assert.deepEqual(loaded, { ...goDefaults, ...deliberateDeviations, ...addedDefaults });
  });

  test('`added` marks exactly the settings the Go indexer does not have', () => {
    for (const [, setting] of settings) {
      const inGo = setting.env in goDefaults || setting.env in required;
      assert.equal(setting.added === true, !inGo, `${setting.env}: added=${String(setting.added)}`);
    }
  });

  test('every default that differs from the Go table carries `goDefault`, and only those', () => {
    const marked: string[] = [];
    for (const [, setting] of settings) {
      if (!(setting.env in goDefaults) || setting.default === undefined) continue;
      const differs = !isDeepStrictEqual(setting.type.parse(setting.default), goDefaults[setting.env]);
      assert.equal(setting.goDefault !== undefined, differs, `${setting.env}: goDefault does not match`);
      if (setting.goDefault === undefined) continue;
      marked.push(setting.env);
      // The marker must name the Go value itself, so the list of deviations is truthful.
      assert.deepEqual(setting.type.parse(setting.goDefault.value), goDefaults[setting.env], setting.env);
      assert.notEqual(setting.goDefault.why.trim(), '', `${setting.env}: goDefault without a reason`);
    }
    assert.deepEqual(marked.sort(), Object.keys(deliberateDeviations).sort());
  });
});

describe('errors', () => {
  test('a bad value gives exactly one line naming the variable, its value and what was expected', () => {
    const errors = errorsOf({ ...required, BULKER_MAX_MESSAGES: 'lots' });
    assert.equal(errors.length, 1);
    const [line = ''] = errors;
    assert.match(line, /BULKER_MAX_MESSAGES/);
    assert.match(line, /lots/);
    assert.match(line, /expected a whole number/);
  });

  test('KAFKA_CONSUMER_OFFSET_RESET takes earliest or latest, in any case; anything else is one line naming it', () => {
    assert.equal(
      load({ ...required, KAFKA_CONSUMER_OFFSET_RESET: 'Latest' }).kafkaConsumerOffsetReset,
      'latest',
    );
    const errors = errorsOf({ ...required, KAFKA_CONSUMER_OFFSET_RESET: 'none' });
    assert.deepEqual(errors, [
      'KAFKA_CONSUMER_OFFSET_RESET="none" is not valid: expected one of earliest, latest',
    ]);
  });

  test('a value out of range names the range', () => {
    const [line = ''] = errorsOf({ ...required, ELASTIC_CLIENT_MAX_DEAD_PERCENTAGE: '150' });
    assert.match(line, /ELASTIC_CLIENT_MAX_DEAD_PERCENTAGE.*150.*0 to 100/);
  });

  test('BULKER_MAX_BYTES may be as large as the request limit the parser enforces, not larger', () => {
    assert.equal(
      load({ ...required, BULKER_MAX_BYTES: String(maxRequestBytes) }).bulkerMaxBytes,
      maxRequestBytes,
    );
    const [line = ''] = errorsOf({ ...required, BULKER_MAX_BYTES: String(maxRequestBytes + 1) });
    assert.match(line, new RegExp(`BULKER_MAX_BYTES.*1 to ${maxRequestBytes}$`));
  });

  test('each missing required variable gets a line of its own', () => {
    const errors = errorsOf({});
    assert.equal(errors.length, 3);
    for (const name of Object.keys(required)) {
      assert.equal(errors.filter((line) => line.includes(name) && /required/.test(line)).length, 1, name);
    }
  });

  test('a required variable set to blanks counts as missing', () => {
    const errors = errorsOf({ ...required, ELASTIC_SERVICE: '  ' });
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /ELASTIC_SERVICE is required/);
  });

  test('several bad values and a missing variable are all reported at once', () => {
    const errors = errorsOf({
      KAFKA_CONSUMER_TOPIC: 'arkime-sessions',
      ELASTIC_SERVICE: 'es.example',
      BULKER_MAX_MESSAGES: 'lots',
      KAFKA_SESSION_TIMEOUT: '10',
      ELASTIC_CLIENT_DISCOVER_NODES: 'yes',
      LOG_LEVEL: 'loud',
    });
    const named = [
      'KAFKA_CONSUMER_GROUP_NAME',
      'BULKER_MAX_MESSAGES',
      'KAFKA_SESSION_TIMEOUT',
      'ELASTIC_CLIENT_DISCOVER_NODES',
      'LOG_LEVEL',
    ];
    assert.equal(errors.length, named.length, errors.join('\n'));
    for (const name of named)
      assert.ok(
        errors.some((line) => line.startsWith(name)),
        name,
      );
  });
});

describe('secrets', () => {
  const secretValues = {
    ELASTIC_USERNAME: 'indexer',
    ELASTIC_PASSWORD: 'pw-Zq81xK',
    ELASTIC_API_KEY: 'apikey-Vb72Lm',
    ELASTIC_SERVICE_TOKEN: 'token-Rt55Hy',
    KAFKA_SSL_KEY_PASSWORD: 'sslpw-Pw03Jd',
    KAFKA_SASL_PASSWORD: 'saslpw-Kd39Qa',
    STATUS_PASSWORD: 'statuspw-Hq47Ne',
  };
  const leaks = (text: string): string[] =>
    secrets.filter((name) => text.includes(secretValues[name as keyof typeof secretValues]));

  test('exactly the credentials are marked secret', () => {
    const marked = settings.filter(([, s]) => s.secret === true).map(([, s]) => s.env);
    assert.deepEqual(marked.sort(), [...secrets].sort());
  });

  test('never appear in error lines', () => {
    const errors = errorsOf({ ...secretValues, BULKER_MAX_MESSAGES: 'lots', PORT: 'http' });
    assert.equal(errors.length, 5);
    assert.deepEqual(leaks(errors.join('\n')), []);
  });

  test('are shown as *** by redacted(), while the other settings are shown as they are', () => {
    const shown = redacted(load({ ...required, ...secretValues }));
    assert.deepEqual(leaks(JSON.stringify(shown)), []);
    for (const name of secrets) assert.equal(shown[name], '***', name);
    assert.equal(shown.ELASTIC_USERNAME, 'indexer');
    assert.equal(shown.BULKER_MAX_BYTES, 10_485_760);
  });

  test('an unset secret is shown as empty, so an operator can tell it is not set', () => {
    const shown = redacted(load(required));
    for (const name of secrets) assert.equal(shown[name], '', name);
  });
});

describe('search addresses', () => {
  const cloudId = `prod:${Buffer.from('example.com$abc$def').toString('base64')}`;

  test('ELASTIC_CLOUD_ID stands in for ELASTIC_SERVICE, which is then an empty list', () => {
    const rest: NodeJS.ProcessEnv = { ...required, ELASTIC_SERVICE: undefined };
    const config = load({ ...rest, ELASTIC_CLOUD_ID: cloudId });
    assert.deepEqual(config.elasticService, []);
    assert.equal(config.elasticCloudId, cloudId);
    assert.match(errorsOf(rest).join('\n'), /ELASTIC_SERVICE is required/);
  });

  test("an address's user:password@ is never shown: masked by redacted() and in error lines", () => {
    const shown = redacted(
      load({ ...required, ELASTIC_SERVICE: 'https://indexer:pw-Lk22Ws@es-1:9200,es-2' }),
    );
    assert.deepEqual(shown.ELASTIC_SERVICE, ['https://***@es-1:9200', 'es-2']);
    assert.equal(
      maskCredentials('u:p@es-1,http://es-2,http://a:b@es-3/x@y'),
      '***@es-1,http://es-2,http://***@es-3/x@y',
    );
  });

  test('secretValues: every secret, in every form a log line could carry it', () => {
    const values = secretValues(
      load({
        ...required,
        ELASTIC_SERVICE: 'https://indexer:p%40ss-Lk22Ws@es-1:9200',
        ELASTIC_USERNAME: 'user',
        ELASTIC_PASSWORD: 'pw-Zq81xK',
        KAFKA_SASL_PASSWORD: 'saslpw-Kd39Qa',
      }),
    );
    for (const form of [
      'p@ss-Lk22Ws',
      'p%40ss-Lk22Ws',
      Buffer.from('indexer:p@ss-Lk22Ws').toString('base64'),
      'pw-Zq81xK',
      Buffer.from('user:pw-Zq81xK').toString('base64'),
      'saslpw-Kd39Qa',
    ]) {
      assert.ok(values.includes(form), form);
    }
    assert.ok(!values.includes('indexer') && !values.includes('user') && !values.includes(''));
  });
});
