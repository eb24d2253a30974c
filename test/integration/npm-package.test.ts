// The package as users get it: `npm pack`, installed into an empty project (its dependencies
// come from the registry), run through npx. Needs the network, so it runs with the integration tests.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

describe('the npm package', () => {
  test('installs from its tarball and runs with npx', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aki-package-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    // The build is already there (npm test builds first): skip prepack's rebuild.
    const { stdout: packed } = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
      {
        cwd: root,
      },
    );
    const [{ filename, files }] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
    const paths = files.map((f) => f.path);
    assert.ok(paths.includes('dist/src/cli.js'), 'the tarball holds the built CLI');
    assert.ok(
      !paths.some((p) => p.startsWith('dist/test/') || p.startsWith('src/')),
      'and nothing else built',
    );

    const app = join(dir, 'app');
    const env = { ...process.env, npm_config_yes: 'false', npm_config_update_notifier: 'false' };
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
    // From npm's cache when it has the dependencies (npm ci filled it), from the registry otherwise.
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, filename)], {
      cwd: app,
      env,
    });

    const { stdout: printed } = await run('npx', ['arkime-kafka-indexer', '--version'], { cwd: app, env });
    assert.equal(printed.trim(), version);
    const { stdout: help } = await run('npx', ['arkime-kafka-indexer', '--help'], { cwd: app, env });
    assert.match(help, new RegExp(`^arkime-kafka-indexer ${version.replaceAll('.', '\\.')}:`));
    assert.match(help, /KAFKA_CONSUMER_TOPIC \(string, required\)/);

    // Started without its required settings (from the bin link npx used), it says which and exits
    // 2 before connecting anywhere.
    const bin = join(app, 'node_modules', '.bin', 'arkime-kafka-indexer');
    const failed = await run(bin, [], { env: { PATH: process.env['PATH'], PORT: '0' } }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    assert.equal(failed?.code, 2);
    assert.match(failed?.stderr ?? '', /KAFKA_CONSUMER_TOPIC is required/);
  });
});
