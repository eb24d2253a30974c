// The command line as an operator uses it: the built CLI in a process of its own. No server is
// started: the options tested here exit before any connection.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { groupTitles, schema, type Setting } from '../src/config/schema.js';

const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const required = {
  KAFKA_CONSUMER_TOPIC: 'spi',
  KAFKA_CONSUMER_GROUP_NAME: 'indexer',
  ELASTIC_SERVICE: 'es-1',
};

function run(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    env: { PATH: process.env['PATH'], ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the command line', () => {
  test('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    assert.deepEqual(run(['--version']), { code: 0, stdout: `${version}\n`, stderr: '' });
  });

  test('--help lists every setting with its type and default, under its group, in schema order', () => {
    const { code, stdout } = run(['--help']);
    assert.equal(code, 0);
    const settings = Object.values(schema) as Setting<unknown>[];
    let at = 0;
    for (const [group, title] of Object.entries(groupTitles)) {
      at = stdout.indexOf(`\n${title}:\n`, at);
      assert.ok(at >= 0, `group ${title} (in order)`);
      for (const s of settings.filter((setting) => setting.group === group)) {
        const fallback = s.default === undefined ? 'required' : `default ${JSON.stringify(s.default)}`;
        const line = `  ${s.env} (${s.type.name}, ${fallback}${s.secret === true ? ', secret' : ''})\n      `;
        const found = stdout.indexOf(line, at);
        assert.ok(found > at, `${s.env} under ${title}`);
        const description = stdout.slice(found + line.length, stdout.indexOf('\n', found + line.length));
        assert.ok(
          description.toLowerCase().includes(s.description.toLowerCase()),
          `${s.env}: ${description}`,
        );
        at = found;
      }
    }
    for (const option of ['--help', '--version', '--print-config', '--check', '/healthz', '/readyz'])
      assert.ok(stdout.includes(option), option);
  });

  test('--help says of each setting without effect, and of no other, that it has none and why', () => {
    const { stdout } = run(['--help']);
    for (const s of Object.values(schema) as Setting<unknown>[]) {
      const entry = new RegExp(`^  ${s.env} \\(.*\\)\\n      (.*)$`, 'm').exec(stdout)?.[1] ?? '';
      assert.notEqual(entry, '', s.env);
      if (s.noEffect === undefined) assert.doesNotMatch(entry, /no effect/i, s.env);
      else assert.ok(entry.startsWith(`Accepted for compatibility; no effect: ${s.noEffect}.`), entry);
    }
  });

  test('an unknown option stops with exit code 2 and one line', () => {
    const { code, stderr } = run(['--chek'], required);
    assert.equal(code, 2);
    assert.equal(stderr, 'arkime-kafka-indexer: unknown option --chek; see --help\n');
  });

  test('a request timeout not above the bulk timeout stops start-up: one line naming both, exit 2', () => {
    const contradictory = { ...required, ELASTIC_REQUEST_TIMEOUT: '30s', ELASTIC_CLIENT_BULK_TIMEOUT: '1m' };
    const started = run([], contradictory);
    assert.equal(started.code, 2);
    assert.equal(started.stdout, '');
    const lines = started.stderr.trim().split('\n');
    assert.equal(lines.length, 1, started.stderr);
    assert.match(
      lines[0] ?? '',
      /^arkime-kafka-indexer: ELASTIC_REQUEST_TIMEOUT=30s is not valid with ELASTIC_CLIENT_BULK_TIMEOUT=1m: /,
    );
    const checked = run(['--check'], contradictory);
    assert.equal(checked.code, 2);
    assert.match(
      checked.stdout,
      /^✗ configuration: ELASTIC_REQUEST_TIMEOUT=30s is not valid with ELASTIC_CLIENT_BULK_TIMEOUT=1m/,
    );
  });

  test('--print-config prints the effective configuration, secrets as ***', () => {
    // Two ways to authenticate at once are refused, so the address password and the key go in two runs.
    const withAddress = run(['--print-config'], {
      ...required,
      ELASTIC_SERVICE: 'https://indexer:pw-Zq81xK@es-1',
      BULKER_MAX_MESSAGES: '500',
    });
    assert.equal(withAddress.code, 0, withAddress.stderr);
    assert.ok(withAddress.stdout.includes('\nBULKER_MAX_MESSAGES=500\n'));
    assert.ok(withAddress.stdout.includes('\nELASTIC_SERVICE=https://***@es-1\n'));
    const withKey = run(['--print-config'], { ...required, ELASTIC_API_KEY: 'apikey-Vb72Lm' });
    assert.equal(withKey.code, 0, withKey.stderr);
    assert.ok(withKey.stdout.includes('\nELASTIC_API_KEY=***\n'));
    for (const { stdout } of [withAddress, withKey]) {
      assert.ok(!stdout.includes('pw-Zq81xK') && !stdout.includes('apikey-Vb72Lm'));
    }
  });

  test('a bad setting stops every option that needs the configuration with exit code 2, naming it', () => {
    const bad = { ...required, BULKER_MAX_MESSAGES: 'lots', ELASTIC_PASSWORD: 'pw-Zq81xK' };
    const printed = run(['--print-config'], bad);
    assert.equal(printed.code, 2);
    assert.match(printed.stderr, /^arkime-kafka-indexer: BULKER_MAX_MESSAGES="lots" is not valid/);
    const checked = run(['--check'], { KAFKA_CONSUMER_TOPIC: 'spi', BULKER_MAX_MESSAGES: 'lots' });
    assert.equal(checked.code, 2);
    assert.deepEqual(checked.stdout.trim().split('\n'), [
      '✗ configuration: KAFKA_CONSUMER_GROUP_NAME is required: Name of the Kafka consumer group',
      `✗ configuration: BULKER_MAX_MESSAGES="lots" is not valid: expected a whole number such as 100 or 10_485_760`,
      `✗ configuration: ELASTIC_SERVICE is required: ${schema.elasticService.description}`,
    ]);
  });
});
