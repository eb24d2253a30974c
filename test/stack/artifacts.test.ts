import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildOnce } from '../../stack/artifacts.js';

describe('building a cache entry once', () => {
  const root = mkdtempSync(join(tmpdir(), 'cache-test-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a build that fails half-way leaves neither the entry nor its scratch folder', async () => {
    const target = join(root, 'broken');
    await assert.rejects(
      buildOnce(target, (dir) => {
        writeFileSync(join(dir, 'half'), 'x');
        return Promise.reject(new Error('download failed'));
      }),
      /download failed/,
    );
    assert.equal(existsSync(target), false);
    assert.deepEqual(readdirSync(root), []);
  });

  test('the entry is built on first use and reused after, without building again', async () => {
    const target = join(root, 'server-1.0');
    let builds = 0;
    const build = (dir: string): Promise<void> => {
      builds += 1;
      writeFileSync(join(dir, 'marker'), `build ${builds}`);
      return Promise.resolve();
    };
    assert.equal(await buildOnce(target, build), target);
    assert.equal(await buildOnce(target, build), target);
    assert.equal(builds, 1);
    assert.equal(readFileSync(join(target, 'marker'), 'utf8'), 'build 1');
  });
});
