import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { releaseName, searchMatrix } from '../../stack/search-versions.js';
import { compatibilityTable, tableMarkers, withCompatibilityTable, type ReleaseResult } from './results.js';

const read = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const results = JSON.parse(read('docs/compatibility.json')) as ReleaseResult[];

describe('the compatibility table', () => {
  test('docs/compatibility.json has at most one result for each release of the matrix, in its order', () => {
    const names = searchMatrix.map(releaseName);
    assert.deepEqual(
      results.map(releaseName),
      names.filter((name) => results.some((r) => releaseName(r) === name)),
    );
  });

  test('the table has a row for every release of the matrix, run or not', () => {
    const table = compatibilityTable(searchMatrix, results);
    for (const release of searchMatrix)
      assert.match(table, new RegExp(`\\| ${release.version.replaceAll('.', '\\.')} +\\|`));
  });

  for (const file of ['README.md', 'docs/security.md']) {
    test(`${file} shows the table made from the last results (npm run test:compat -- --tables)`, () => {
      const text = read(file);
      assert.equal(text, withCompatibilityTable(text, compatibilityTable(searchMatrix, results)));
    });
  }

  test('a release without results, or whose last run failed, is shown as believed, not tested', () => {
    const [first, second] = searchMatrix;
    assert.ok(first !== undefined && second !== undefined);
    const failed: ReleaseResult = {
      distribution: second.distribution,
      version: second.version,
      java: 17,
      startSeconds: 10,
      testSeconds: 100,
      passed: 8,
      failed: 1,
      date: '2026-01-02',
    };
    const lines = compatibilityTable([first, second], [failed]).split('\n');
    assert.match(lines[2] ?? '', /\| believed \(not run yet\) +\|/);
    assert.match(lines[3] ?? '', /\| believed \(last run: 1 of 9 failed\) \| 2026-01-02 \|/);
  });

  test('a text without the markers is refused', () => {
    assert.throws(() => withCompatibilityTable('no table here', 'x'), new RegExp(tableMarkers[0]));
  });
});
