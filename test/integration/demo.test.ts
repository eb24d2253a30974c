import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { before, describe, test } from 'node:test';
import { call } from '../../stack/search-client.js';
import { required, useStack } from '../helpers/stack.js';
import { stackEnvVar, type StackEndpoints } from '../../stack/stack.js';

const run = promisify(execFile);
const demo = fileURLToPath(new URL('../../demo/run.js', import.meta.url));

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the demo (npm run demo) on the running stack', () => {
  let stack: StackEndpoints;

  before(async () => {
    stack = await useStack('kafka', 'opensearch');
  });

  test('indexes the three formats, reports the failures from the failure topic, and leaves nothing behind', async () => {
    const { stdout } = await run(process.execPath, [demo, '--exit', '--sessions', '10', '--timeout', '60'], {
      env: { ...process.env, [stackEnvVar]: JSON.stringify(stack) },
      timeout: 90_000,
    });

    const rows = [...stdout.matchAll(/^(\S+)_sessions3-(\d{6})\s+(\d+)\s+(\d+)\s+(\d+)$/gm)];
    assert.deepEqual(
      rows.map((r) => [r[1]!.split('-').at(-1), r[3], r[4], r[5]]),
      [
        ['bulk', '10', '9', '1'],
        ['bulk1', '10', '9', '1'],
        ['doc', '10', '9', '1'],
      ],
      stdout,
    );
    assert.match(stdout, /^total\s+30\s+27\s+3$/m);
    assert.match(stdout, /failures on \S+-arkime-json-failed: 4\n/);
    const failureTypes = [...stdout.matchAll(/^(mapper_parsing_exception|malformed_action)\s/gm)].map(
      (m) => m[1],
    );
    assert.deepEqual(failureTypes.sort(), [
      'malformed_action',
      'mapper_parsing_exception',
      'mapper_parsing_exception',
      'mapper_parsing_exception',
    ]);
    assert.match(stdout, /^mapper_parsing_exception\s.*\[firstPacket\] of type \[date\]/m);
    assert.match(stdout, /^throughput: 27 documents /m);
    assert.match(stdout, /^metrics\s+http:\/\/127\.0\.0\.1:\d+\/metrics$/m);

    // Nothing left running, and its indices and templates removed from the shared server.
    const pid = Number(/indexer started \(pid (\d+)/.exec(stdout)?.[1]);
    assert.ok(pid > 0 && !isRunning(pid), `indexer ${pid} stopped`);
    const base = rows[0]![1]!.slice(0, -'bulk'.length);
    const url = required(stack.opensearch, 'opensearch').url;
    const left = (await call('GET', `${url}/_cat/indices/${base}*?format=json`)) as unknown[];
    assert.deepEqual(left, []);
  });
});
