import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { restartArguments, semiSpaceMiB } from '../../src/config/young-generation.js';

const flag = `--max-semi-space-size=${semiSpaceMiB}`;
const base = { execPath: '/usr/bin/node', execArgv: [], argv: ['/usr/bin/node', 'cli.js', '--check'] };

describe('restartArguments', () => {
  test('adds the limit before the runtime flags and keeps the script and its arguments', () => {
    assert.deepEqual(restartArguments({ ...base, execArgv: ['--cpu-prof'], nodeOptions: undefined }), [
      '/usr/bin/node',
      flag,
      '--cpu-prof',
      'cli.js',
      '--check',
    ]);
  });

  test('leaves a limit the operator set alone, on the command line or in NODE_OPTIONS', () => {
    assert.equal(
      restartArguments({ ...base, execArgv: ['--max-semi-space-size=16'], nodeOptions: '' }),
      undefined,
    );
    assert.equal(
      restartArguments({ ...base, nodeOptions: '--enable-source-maps  --max-semi-space-size=1' }),
      undefined,
    );
    assert.equal(
      restartArguments({ ...base, execArgv: ['--max-semi-space-size', '8'], nodeOptions: '' }),
      undefined,
    );
  });

  test('a look-alike flag is not the limit', () => {
    assert.ok(
      restartArguments({ ...base, nodeOptions: '--max-semi-space-sizes=1 --max-old-space-size=512' }),
    );
  });
});

describe('the restart itself', () => {
  // A script that imports boot.js the way cli.js does and reports what it runs with.
  const dir = mkdtempSync(join(tmpdir(), 'young-generation-'));
  const script = join(dir, 'report.mjs');
  writeFileSync(
    script,
    `import ${JSON.stringify(new URL('../../src/boot.js', import.meta.url).href)};
import { getHeapSpaceStatistics } from 'node:v8';
const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
console.log(JSON.stringify({ execArgv: process.execArgv, argv: process.argv.slice(2), young: young.space_size }));`,
  );
  const run = (nodeOptions: string): { execArgv: string[]; argv: string[]; young: number } => {
    const result = spawnSync(process.execPath, [script, 'a', 'b c'], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'], NODE_OPTIONS: nodeOptions },
      timeout: 20_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '', 'the restart prints nothing');
    return JSON.parse(result.stdout) as { execArgv: string[]; argv: string[]; young: number };
  };

  test('runs once more with the limit, its arguments intact, and V8 holds to it', () => {
    const seen = run('');
    assert.deepEqual(seen.execArgv, [flag]);
    assert.deepEqual(seen.argv, ['a', 'b c']);
    assert.ok(seen.young <= 2 * semiSpaceMiB * 2 ** 20, `new space ${seen.young} bytes`);
  });

  test('does not restart when NODE_OPTIONS sets the limit', () => {
    const seen = run('--max-semi-space-size=16');
    assert.deepEqual(seen.execArgv, []);
    assert.deepEqual(seen.argv, ['a', 'b c']);
  });

  test.after(() => rmSync(dir, { recursive: true, force: true }));
});
