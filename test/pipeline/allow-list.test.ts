import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ParsedMessage } from '../../src/bulk/items.js';
import { parseMessage } from '../../src/bulk/parse.js';
import type { AllowListConfig } from '../../src/config/allow-list.js';
import { allowList } from '../../src/pipeline/allow-list.js';

const everything: AllowListConfig = {
  elasticAllowedIndices: ['*'],
  elasticAllowedActions: ['index', 'create', 'update', 'delete'],
};

const arkime: AllowListConfig = {
  elasticAllowedIndices: ['arkime_sessions3-*'],
  elasticAllowedActions: ['index'],
};

const pair = (index: string | undefined, id: string, action = 'index'): string => {
  const meta = index === undefined ? { _id: id } : { _index: index, _id: id };
  const line = JSON.stringify({ [action]: meta });
  return action === 'delete' ? `${line}\n` : `${line}\n{"n":"${id}"}\n`;
};

const message = (...pairs: string[]): ParsedMessage => parseMessage(Buffer.from(pairs.join('')));

/** The body cut into each item's lines, as the bulk request will carry them. */
const lines = (parsed: ParsedMessage): string[] =>
  parsed.items.map((item) => parsed.body.subarray(item.start, item.end).toString());

describe('allowList', () => {
  test('everything allowed (the default): the very same message, nothing copied', () => {
    const parsed = message(pair('anything', '1'), pair(undefined, '2'), pair('x', '3', 'delete'));
    assert.equal(allowList(everything)(parsed), parsed);
  });

  test('nothing refused: the very same message', () => {
    const parsed = message(pair('arkime_sessions3-250101', '1'), pair('arkime_sessions3-250102', '2'));
    assert.equal(allowList(arkime)(parsed), parsed);
  });

  test('an index outside the patterns: that item alone is taken out, as received, with its reason', () => {
    const kept1 = pair('arkime_sessions3-250101', 'a');
    const refused = pair('arkime_users', 'admin');
    const kept2 = pair('arkime_sessions3-250102', 'b');
    const result = allowList(arkime)(message(kept1, refused, kept2));
    assert.deepEqual(lines(result), [kept1, kept2]);
    assert.equal(result.body.toString(), kept1 + kept2);
    assert.deepEqual(
      result.rejected.map((r) => [r.bytes.toString(), r.reason, r.detail]),
      [[refused, 'not_allowed', 'index "arkime_users" is not in ELASTIC_ALLOWED_INDICES']],
    );
  });

  test('an action outside ELASTIC_ALLOWED_ACTIONS, even on an allowed index', () => {
    const deletion = pair('arkime_sessions3-250101', 'a', 'delete');
    const update = pair('arkime_sessions3-250101', 'b', 'update');
    const result = allowList(arkime)(message(deletion, pair('arkime_sessions3-250101', 'c'), update));
    assert.equal(result.items.length, 1);
    assert.deepEqual(
      result.rejected.map((r) => [r.bytes.toString(), r.detail]),
      [
        [deletion, 'action "delete" is not in ELASTIC_ALLOWED_ACTIONS'],
        [update, 'action "update" is not in ELASTIC_ALLOWED_ACTIONS'],
      ],
    );
  });

  test('no _index: refused unless every index is allowed, as the cluster would pick the index', () => {
    const anywhere = { ...arkime, elasticAllowedIndices: ['*'] };
    const parsed = message(pair(undefined, 'a'));
    assert.equal(allowList(anywhere)(parsed).items.length, 1);
    const result = allowList(arkime)(parsed);
    assert.equal(result.items.length, 0);
    assert.equal(result.body.length, 0);
    assert.match(result.rejected[0]?.detail ?? '', /names no _index/);
  });

  test('the doc format: its "index" field is the index checked', () => {
    const allowed = allowList(arkime)(parseMessage(Buffer.from('{"index":"arkime_sessions3-250101","a":1}')));
    assert.equal(allowed.items.length, 1);
    const refused = allowList(arkime)(parseMessage(Buffer.from('{"index":"other","a":1}')));
    assert.equal(refused.items.length, 0);
    assert.equal(refused.rejected[0]?.detail, 'index "other" is not in ELASTIC_ALLOWED_INDICES');
  });

  test('patterns: * matches any run (also none), everything else only itself; any pattern may match', () => {
    const config = {
      elasticAllowedIndices: ['logs.a*', 'exact', '*-archive'],
      elasticAllowedActions: ['index'],
    };
    const check = (index: string): boolean => allowList(config)(message(pair(index, '1'))).items.length === 1;
    assert.equal(check('logs.a'), true);
    assert.equal(check('logs.abc'), true);
    assert.equal(check('logsxa'), false, '. is a dot, not any character');
    assert.equal(check('exact'), true);
    assert.equal(check('exactly'), false);
    assert.equal(check('x-exact'), false);
    assert.equal(check('2025-archive'), true);
    assert.equal(check('2025-archive-x'), false);
  });

  test('messages refused whole keep their reason; the allow-list adds to them', () => {
    const parsed = parseMessage(Buffer.from('not json\n'));
    const result = allowList(arkime)(parsed);
    assert.equal(result, parsed);
    assert.equal(result.rejected[0]?.reason, 'malformed_document');
  });
});
