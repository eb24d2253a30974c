import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { formatDuration, printableConfig } from '../../src/config/print.js';
import { groupTitles, schema, type Setting } from '../../src/config/schema.js';

const required = {
  KAFKA_CONSUMER_TOPIC: 'arkime-sessions',
  KAFKA_CONSUMER_GROUP_NAME: 'arkime-indexer',
  ELASTIC_SERVICE: 'https://indexer:pw-Zq81xK@es-1:9243,es-2',
};

function load(env: Record<string, string>) {
  const loaded = loadConfig(env);
  assert.ok(loaded.ok, JSON.stringify(loaded));
  return loaded.config;
}

/** The NAME=value lines as an environment. */
function parse(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('formatDuration', () => {
  test('writes milliseconds in the largest Go unit that divides them', () => {
    assert.equal(formatDuration(0), '0');
    assert.equal(formatDuration(6000), '6s');
    assert.equal(formatDuration(3_600_000), '1h');
    assert.equal(formatDuration(90_000), '90s');
    assert.equal(formatDuration(1500), '1500ms');
    assert.equal(formatDuration(0.5), '0.5ms');
  });
});

describe('printableConfig', () => {
  test('lists every setting once, grouped as in --help', () => {
    const text = printableConfig(load(required));
    const settings = Object.values(schema) as Setting<unknown>[];
    assert.deepEqual(Object.keys(parse(text)).sort(), settings.map((s) => s.env).sort());
    for (const title of Object.values(groupTitles)) assert.ok(text.includes(`# ${title}\n`), title);
  });

  test('a setting without effect has a comment saying so just above it; no other setting has one', () => {
    const lines = printableConfig(load(required)).split('\n');
    for (const setting of Object.values(schema) as Setting<unknown>[]) {
      const at = lines.findIndex((line) => line.startsWith(`${setting.env}=`));
      const above = lines[at - 1] ?? '';
      if (setting.noEffect === undefined) {
        assert.doesNotMatch(above, /no effect/i, setting.env);
      } else {
        assert.equal(above, `# Accepted for compatibility; no effect: ${setting.noEffect}`);
      }
    }
  });

  test('hides secrets and passwords in addresses', () => {
    const text = printableConfig(
      load({
        ...required,
        ELASTIC_PASSWORD: 'pw-Lk20Xy',
        KAFKA_SASL_PASSWORD: 'saslpw-Kd39Qa',
        ELASTIC_USERNAME: 'u',
      }),
    );
    for (const secret of ['pw-Zq81xK', 'pw-Lk20Xy', 'saslpw-Kd39Qa'])
      assert.ok(!text.includes(secret), secret);
    const env = parse(text);
    assert.equal(env['ELASTIC_PASSWORD'], '***');
    assert.equal(env['ELASTIC_API_KEY'], '', 'an unset secret shows as empty');
    assert.equal(env['ELASTIC_SERVICE'], 'https://***@es-1:9243,es-2');
    assert.equal(env['ELASTIC_USERNAME'], 'u');
  });

  test('writes every value in its own syntax: read back, it gives the same configuration', () => {
    const given = {
      ...required,
      ELASTIC_SERVICE: 'es-1,es-2',
      BULKER_FLUSH_INTERVAL: '1m30s',
      BULKER_MAX_BYTES: '0x100000',
      LOG_LEVEL: 'WARN',
      ELASTIC_CLIENT_RETRY_STATUSES: '429, 503',
      METRICS_FLUSHED_MSGS_BUCKETS: '1,2.5,10',
      KAFKA_CONSUMER_INCREMENTAL_REBALANCE: 'T',
    };
    const config = load(given);
    const printed = parse(printableConfig(config));
    assert.equal(printed['BULKER_FLUSH_INTERVAL'], '90s');
    assert.equal(printed['BULKER_MAX_BYTES'], '1048576');
    assert.equal(printed['LOG_LEVEL'], 'warn');
    assert.deepEqual(load(printed), config);
  });
});
