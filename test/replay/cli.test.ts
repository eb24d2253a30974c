// `arkime-kafka-indexer replay` from the command line, where it stops before any connection: a
// bad flag or setting is one line and exit code 2, as for the indexer.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const env = {
  KAFKA_CONSUMER_TOPIC: 'spi',
  KAFKA_CONSUMER_GROUP_NAME: 'indexer',
  ELASTIC_SERVICE: 'es-1',
  KAFKA_PRODUCER_TOPIC: 'spi-failed',
  ELASTIC_USERNAME: 'elastic',
  ELASTIC_PASSWORD: 'hunter2-secret',
};

function run(args: string[], extra: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [cli, 'replay', ...args], {
    env: { PATH: process.env['PATH'], ...env, ...extra },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('replay on the command line', () => {
  test('--failed-to the topic being read: one line, exit 2', () => {
    const { code, stdout, stderr } = run(['--failed-to', 'spi-failed']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(
      stderr,
      'arkime-kafka-indexer replay: --failed-to spi-failed is the topic being read; name another topic; see --help\n',
    );
  });

  test('an unknown flag: one line naming it, exit 2', () => {
    const { code, stderr } = run(['--dryrun']);
    assert.equal(code, 2);
    assert.match(stderr, /^arkime-kafka-indexer replay: Unknown option '--dryrun'.*; see --help\n$/);
  });

  test('a bad setting stops it as it stops the indexer, and no secret is shown', () => {
    const { code, stderr } = run([], { ELASTIC_CLIENT_MAX_RETRIES: 'many' });
    assert.equal(code, 2);
    assert.equal(stderr.trim().split('\n').length, 1);
    assert.match(stderr, /ELASTIC_CLIENT_MAX_RETRIES="many" is not valid/);
    assert.ok(!stderr.includes('hunter2'));
  });

  test(
    'the first SIGINT or SIGTERM stops it at once, even while no broker answers, dry run or not',
    { timeout: 30_000 },
    async () => {
      for (const [signal, args] of [
        ['SIGINT', ['--dry-run']],
        ['SIGTERM', []],
      ] as const) {
        // Nothing listens on port 1: the reader tries again for seconds before it gives up.
        const child = spawn(process.execPath, [cli, 'replay', ...args], {
          env: { PATH: process.env['PATH'], ...env, KAFKA_PRODUCER_BROKERS: '127.0.0.1:1' },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        // The signal once the replay listens for it: when it says it is taking the offsets.
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no start line in 10 s: ${stderr}`)), 10_000);
          child.stderr.on('data', (chunk: Buffer) => {
            stderr += chunk.toString();
            if (stderr.includes("taking the failure topic's offsets")) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        const signalled = performance.now();
        child.kill(signal);
        const code = await exited;
        const took = performance.now() - signalled;
        assert.equal(code, 1, stderr);
        assert.equal(stdout, 'Stopped before the end: the records not replayed are still on the topic.\n');
        assert.match(stderr, new RegExp(`"signal":"${signal}".*signal received: stopping the replay`));
        // Stopped, not given up: the reader's own error would come after its retries.
        assert.doesNotMatch(stderr, /metadata failed/);
        console.log(`# replay ${args.join(' ')} stopped ${took.toFixed(0)} ms after ${signal}`);
      }
    },
  );

  test('--help documents replay and its flags', () => {
    const result = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8', timeout: 20_000 });
    for (const flag of [
      '--topic',
      '--since',
      '--type',
      '--index',
      '--source-topic',
      '--dry-run',
      '--failed-to',
    ]) {
      assert.ok(result.stdout.includes(`  ${flag}`), flag);
    }
    assert.match(result.stdout, /arkime-kafka-indexer replay \[flag\.\.\.\]/);
  });
});
