import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { runChecks } from '../../src/check/run.js';
import {
  describeHealth,
  matchesPattern,
  parseTemplates,
  searchChecks,
  targetIndices,
  templatesFor,
  type Get,
} from '../../src/check/search.js';
import { sessions3TemplatePath } from '../../stack/arkime.js';

describe('target indices', () => {
  test("are Arkime's sessions3 indices when ELASTIC_ALLOWED_INDICES lets them through", () => {
    assert.deepEqual(targetIndices(['*']), ['arkime_sessions3-*']);
    assert.deepEqual(targetIndices(['arkime_*', 'other']), ['arkime_sessions3-*']);
  });

  test('are the allowed sessions3 patterns under another prefix, else every allowed pattern', () => {
    assert.deepEqual(targetIndices(['prod_sessions3-*', 'prod_history-*']), ['prod_sessions3-*']);
    assert.deepEqual(targetIndices(['logs-*', 'metrics-*']), ['logs-*', 'metrics-*']);
  });
});

describe('index patterns', () => {
  test('* matches any run of characters; everything else literally', () => {
    assert.ok(matchesPattern('arkime_sessions3-*', 'arkime_sessions3-260101'));
    assert.ok(matchesPattern('*sessions3-*', 'x_sessions3-260101'));
    assert.ok(!matchesPattern('arkime_sessions3-*', 'arkime_sessions2-260101'));
    assert.ok(!matchesPattern('arkime.sessions3-*', 'arkimeXsessions3-260101'), 'a dot is a dot');
  });
});

describe('templates', () => {
  const arkime = JSON.parse(readFileSync(sessions3TemplatePath, 'utf8')) as {
    index_patterns: string[];
    priority: number;
  };
  // The shapes GET /_index_template and GET /_template answer with the check's filter_path.
  const composable = {
    index_templates: [
      {
        name: 'arkime_sessions3',
        index_template: { index_patterns: arkime.index_patterns, priority: arkime.priority },
      },
      { name: 'catch-all', index_template: { index_patterns: ['*'] } },
    ],
  };
  const legacy = {
    old_sessions: { order: 5, index_patterns: ['arkime_sessions3-*'] },
    other: { index_patterns: 'x-*' },
  };

  test('are read from both APIs, composable and legacy', () => {
    const templates = parseTemplates(composable, legacy);
    assert.deepEqual(
      templates.map((t) => [t.name, t.kind, t.patterns.join(','), t.rank]),
      [
        ['arkime_sessions3', 'composable', 'arkime_sessions3-*', 99],
        ['catch-all', 'composable', '*', 0],
        ['old_sessions', 'legacy', 'arkime_sessions3-*', 5],
        ['other', 'legacy', 'x-*', 0],
      ],
    );
    assert.deepEqual(parseTemplates({}, {}), [], 'filter_path answers {} when there are none');
  });

  test('the composable template of highest priority wins, and legacy ones are then ignored', () => {
    const chosen = templatesFor('arkime_sessions3-*', parseTemplates(composable, legacy));
    assert.deepEqual(
      chosen.map((t) => t.name),
      ['arkime_sessions3'],
    );
  });

  test('without a composable match, every matching legacy template applies', () => {
    const chosen = templatesFor('arkime_sessions3-*', parseTemplates({}, legacy));
    assert.deepEqual(
      chosen.map((t) => t.name),
      ['old_sessions'],
    );
    assert.deepEqual(templatesFor('logs-*', parseTemplates({}, legacy)), []);
  });
});

describe('health', () => {
  test('green and yellow pass, red fails with the numbers', () => {
    assert.equal(
      describeHealth({ status: 'yellow', number_of_nodes: 1, unassigned_shards: 3 }),
      'yellow, 1 node(s), 3 unassigned shard(s)',
    );
    assert.throws(
      () => describeHealth({ status: 'red', number_of_nodes: 2, unassigned_shards: 7 }),
      /red, 2 node/,
    );
  });
});

describe('searchChecks', () => {
  const answers =
    (byPath: Record<string, { status: number; body: unknown }>): Get =>
    (path) => {
      const answer = byPath[path.split('?')[0] ?? ''];
      if (answer === undefined) return Promise.reject(new Error(`unexpected GET ${path}`));
      return Promise.resolve({ status: answer.status, body: JSON.stringify(answer.body) });
    };

  test('name the product and version, and the template that applies', async () => {
    const get = answers({
      '/': {
        status: 200,
        body: { cluster_name: 'c1', version: { number: '2.19.6', distribution: 'opensearch' } },
      },
      '/_cluster/health': {
        status: 200,
        body: { status: 'green', number_of_nodes: 3, unassigned_shards: 0 },
      },
      '/_index_template': { status: 200, body: {} },
      '/_template': {
        status: 200,
        body: { arkime_sessions3_template: { index_patterns: ['arkime_sessions3-*'] } },
      },
    });
    const printed: string[] = [];
    await runChecks(searchChecks(get, ['*']), (line) => printed.push(line), 1000);
    assert.deepEqual(printed, [
      '✓ search cluster: OpenSearch 2.19.6, cluster "c1"',
      '✓ search cluster health: green, 3 node(s), 0 unassigned shard(s)',
      '✓ index template for arkime_sessions3-*: legacy template "arkime_sessions3_template" (arkime_sessions3-*, order 0)',
    ]);
  });

  test('a cluster that does not serve GET / is identified by its nodes', async () => {
    const get = answers({
      '/': {
        status: 405,
        body: { error: 'Incorrect HTTP method for uri [/] and method [GET], allowed: [DELETE]' },
      },
      '/_nodes/_local': { status: 200, body: { cluster_name: 'c', nodes: { n1: { version: '8.19.21' } } } },
    });
    const [result] = await runChecks(searchChecks(get, ['*']).slice(0, 1), () => undefined, 1000);
    assert.deepEqual(result, {
      name: 'search cluster',
      ok: true,
      detail: 'version 8.19.21 (GET / is not served), cluster "c"',
    });
  });

  test('refused credentials are named, and the checks that need the cluster are not run', async () => {
    const get = answers({
      '/': { status: 401, body: { error: { reason: 'missing authentication credentials' } } },
    });
    const results = await runChecks(searchChecks(get, ['*']), () => undefined, 1000);
    assert.match(results[0]?.detail ?? '', /credentials refused \(401\): check ELASTIC_USERNAME/);
    assert.deepEqual(
      results.map((r) => r.ok),
      [false, false, false],
    );
  });

  test('no matching template fails the check and says what it means', async () => {
    const get = answers({
      '/': { status: 200, body: { cluster_name: 'c', version: { number: '8.19.21' } } },
      '/_cluster/health': { status: 200, body: { status: 'green' } },
      '/_index_template': {
        status: 200,
        body: { index_templates: [{ name: 'logs', index_template: { index_patterns: ['logs-*'] } }] },
      },
      '/_template': { status: 200, body: {} },
    });
    const results = await runChecks(searchChecks(get, ['prod_sessions3-*']), () => undefined, 1000);
    assert.equal(results[2]?.name, 'index template for prod_sessions3-*');
    assert.equal(results[2]?.ok, false);
    assert.match(
      results[2]?.detail ?? '',
      /^no index template matches prod_sessions3-\*: new indices would get guessed mappings/,
    );
  });

  test('a template API the user may not read fails with the 403 and its reason', async () => {
    const get = answers({
      '/': { status: 200, body: { cluster_name: 'c', version: { number: '8.19.21' } } },
      '/_cluster/health': { status: 200, body: { status: 'green' } },
      '/_index_template': { status: 200, body: {} },
      '/_template': {
        status: 403,
        body: { error: { reason: 'action [indices:admin/template/get] is unauthorized' } },
      },
    });
    const results = await runChecks(searchChecks(get, ['*']), () => undefined, 1000);
    assert.equal(results[0]?.detail, 'Elasticsearch 8.19.21, cluster "c"');
    assert.match(results[2]?.detail ?? '', /^not allowed \(403\) to GET \/_template: action \[indices:admin/);
  });
});
