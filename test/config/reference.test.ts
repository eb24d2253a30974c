import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  configurationTable,
  deviationsList,
  noEffectList,
  withReference,
} from '../../src/config/reference.js';
import { schema, type Setting } from '../../src/config/schema.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('the settings reference generated from the schema', () => {
  test('the README carries the current table and deviations (run `npm run docs` after changing the schema)', () => {
    assert.equal(withReference(readme), readme);
  });

  test('the table has one row for every setting, naming its variable', () => {
    const table = configurationTable();
    for (const setting of Object.values(schema))
      assert.match(table, new RegExp(`^\\| \`${setting.env}\` \\|`, 'm'));
  });

  test('every deviation from the Go defaults is listed with the Go value', () => {
    const list = deviationsList();
    assert.match(list, /`LOG_LEVEL` defaults to `info`, not `debug`/);
    assert.match(list, /`ELASTIC_CLIENT_BULK_TIMEOUT` defaults to `1m`, not `500ms`/);
  });

  test('the row of a setting without effect says so, and no other row does', () => {
    const rows = configurationTable().split('\n');
    for (const setting of Object.values(schema) as Setting<unknown>[]) {
      const row = rows.find((line) => line.startsWith(`| \`${setting.env}\` |`)) ?? '';
      const says = /\| Accepted for compatibility; no effect: [^|]+\. In the Go indexer: /.test(row);
      assert.equal(says, setting.noEffect !== undefined, row);
    }
  });

  test('the migration section lists exactly the settings without effect, each with why', () => {
    const listed = noEffectList().split('\n');
    const expected = (Object.values(schema) as Setting<unknown>[]).filter((s) => s.noEffect !== undefined);
    assert.deepEqual(
      listed.map((line) => /^- `([A-Z_]+)`: /.exec(line)?.[1]),
      expected.map((s) => s.env),
    );
    expected.forEach((s, i) => assert.ok(listed[i]?.includes(s.noEffect ?? '?'), s.env));
    const migration = readme.slice(readme.indexOf('## Migrating from the Go indexer'));
    assert.ok(migration.includes(noEffectList()), 'the README migration section carries the list');
  });
});
