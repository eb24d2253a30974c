// ELASTIC_ALLOWED_INDICES and ELASTIC_ALLOWED_ACTIONS as the configuration checks them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allowListErrors } from '../../src/config/allow-list.js';
import { bulkActions } from '../../src/records.js';

describe('allowListErrors', () => {
  test('the defaults and the Arkime recommendation are valid', () => {
    const defaults = { elasticAllowedIndices: ['*'], elasticAllowedActions: [...bulkActions] };
    assert.deepEqual(allowListErrors(defaults), []);
    const arkime = { elasticAllowedIndices: ['arkime_sessions3-*'], elasticAllowedActions: ['index'] };
    assert.deepEqual(allowListErrors(arkime), []);
    assert.deepEqual(
      allowListErrors({
        elasticAllowedIndices: ['.ds-logs-*', 'a*b', 'x'],
        elasticAllowedActions: ['INDEX'],
      }),
      [],
    );
  });

  test('a pattern no index name could match: one line each, naming the variable and the entry', () => {
    const errors = allowListErrors({
      elasticAllowedIndices: ['Arkime_*', 'arkime sessions', '-arkime_*', '_all', 'a/b', 'x:y', '..'],
      elasticAllowedActions: ['index'],
    });
    assert.equal(errors.length, 7);
    for (const error of errors)
      assert.match(error, /^ELASTIC_ALLOWED_INDICES entry ".+" is not valid: expected /);
    assert.match(errors[0] ?? '', /lower case/);
    assert.match(errors[2] ?? '', /do not start with -, _ or \+/);
  });

  test('an action that is not a bulk action', () => {
    assert.deepEqual(
      allowListErrors({ elasticAllowedIndices: ['*'], elasticAllowedActions: ['index', 'upsert', 'drop'] }),
      [
        'ELASTIC_ALLOWED_ACTIONS="index,upsert,drop" is not valid: expected bulk actions among index, create, update, delete, not upsert, drop',
      ],
    );
  });
});
