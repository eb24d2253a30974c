import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { configurationTable, deviationsList, withReference } from '../../src/config/reference.js';
import { schema } from '../../src/config/schema.js';

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
});
