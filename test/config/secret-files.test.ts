import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';

const required = {
  KAFKA_CONSUMER_TOPIC: 'arkime-sessions',
  KAFKA_CONSUMER_GROUP_NAME: 'arkime-indexer',
  ELASTIC_SERVICE: 'es.example',
};

function errorsOf(env: NodeJS.ProcessEnv): string[] {
  const loaded = loadConfig(env);
  return loaded.ok ? [] : loaded.errors;
}

describe('secrets from files (<NAME>_FILE)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aki-secret-'));
  const file = join(dir, 'status-password');
  writeFileSync(file, 'from-a-file-Qw81\n');

  test('every secret setting may be read from a file, its trailing line break dropped', () => {
    const loaded = loadConfig({ ...required, STATUS_PASSWORD_FILE: file, ELASTIC_PASSWORD_FILE: file });
    assert.ok(loaded.ok);
    assert.equal(loaded.config.statusPassword, 'from-a-file-Qw81');
    assert.equal(loaded.config.elasticPassword, 'from-a-file-Qw81');
  });

  test('a file that cannot be read, or both set: one line each, naming the variable and never the content', () => {
    const errors = errorsOf({
      ...required,
      STATUS_PASSWORD_FILE: join(dir, 'missing'),
      ELASTIC_PASSWORD: 'given-Zk20',
      ELASTIC_PASSWORD_FILE: file,
      KAFKA_SASL_PASSWORD_FILE: dir,
    });
    assert.deepEqual(
      errors,
      [
        `STATUS_PASSWORD_FILE=${JSON.stringify(join(dir, 'missing'))} cannot be read: no such file`,
        'ELASTIC_PASSWORD and ELASTIC_PASSWORD_FILE are both set: set one of them',
        `KAFKA_SASL_PASSWORD_FILE=${JSON.stringify(dir)} cannot be read: it is a directory`,
      ].sort((a, b) => errors.indexOf(a) - errors.indexOf(b)),
    );
    assert.ok(!errors.join('\n').includes('given-Zk20') && !errors.join('\n').includes('Qw81'));
  });

  test('only secrets: a setting that is not one has no _FILE form', () => {
    const loaded = loadConfig({ ...required, LOG_LEVEL_FILE: file });
    assert.ok(loaded.ok);
    assert.equal(loaded.config.logLevel, 'info');
  });
});

describe('LISTEN_ADDRESS', () => {
  const listen = (value: string): string | string[] => {
    const loaded = loadConfig({ ...required, LISTEN_ADDRESS: value });
    return loaded.ok ? loaded.config.listenAddress : loaded.errors;
  };

  test('takes an IPv4 or IPv6 address (brackets dropped) or a host name; empty is every interface', () => {
    assert.equal(listen(''), '');
    assert.equal(listen('127.0.0.1'), '127.0.0.1');
    assert.equal(listen('0.0.0.0'), '0.0.0.0');
    assert.equal(listen('::1'), '::1');
    assert.equal(listen('[fd00::5]'), 'fd00::5');
    assert.equal(listen(' localhost '), 'localhost');
    assert.equal(
      listen('indexer-0.indexer.arkime.svc.cluster.local'),
      'indexer-0.indexer.arkime.svc.cluster.local',
    );
  });

  test('anything else is one line naming it', () => {
    for (const bad of [
      '127.0.0.1:8080',
      'http://0.0.0.0',
      'a b',
      '-host',
      'host_name',
      '300.1.1.1',
      '10.0.0',
    ]) {
      assert.deepEqual(listen(bad), [
        `LISTEN_ADDRESS=${JSON.stringify(bad)} is not valid: expected an IP address (0.0.0.0, 127.0.0.1, ::1) or a host name, without a port`,
      ]);
    }
  });
});
