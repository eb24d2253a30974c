import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { classifyBulkResponse, type BulkOutcome, type ItemOutcome } from '../../src/search/classify.js';
import { releaseName, searchMatrix, type SearchRelease } from '../../stack/search-versions.js';
import { mappingErrorType } from '../compat/results.js';

// Real answers of the servers; see test/fixtures/responses/README.md for how they were captured.
interface Captured {
  server: string;
  request: { items: number };
  status: number;
  body: string;
}

/**
 * The answers captured from the stack's default servers (`elasticsearch-<case>.json`), and those
 * the compatibility matrix captured from each of its releases (`<server>-<version>-<case>.json`).
 */
const fixtureSets = [
  { name: 'elasticsearch', mappingError: 'document_parsing_exception', matrix: false },
  { name: 'opensearch', mappingError: 'mapper_parsing_exception', matrix: false },
  // Each release the matrix has run (its last results, docs/compatibility.json), whose answers it captured.
  ...recordedReleases().map((r) => ({
    name: `${r.distribution}-${r.version}`,
    mappingError: mappingErrorType(r.distribution, r.version),
    matrix: true,
  })),
];
function recordedReleases(): SearchRelease[] {
  const url = new URL('../../../docs/compatibility.json', import.meta.url);
  const results = JSON.parse(readFileSync(url, 'utf8')) as Pick<SearchRelease, 'distribution' | 'version'>[];
  return searchMatrix.filter((r) => results.some((x) => releaseName(x) === releaseName(r)));
}

const retryStatuses = new Set([502, 503, 504, 429]);

function captured(server: string, name: string): Captured {
  const url = new URL(`../../../test/fixtures/responses/${server}-${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Captured;
}

function capturedIfAny(server: string, name: string): Captured | undefined {
  const url = new URL(`../../../test/fixtures/responses/${server}-${name}.json`, import.meta.url);
  return existsSync(url) ? captured(server, name) : undefined;
}

function classify(response: Captured, statuses: ReadonlySet<number> = retryStatuses): BulkOutcome {
  return classifyBulkResponse(response.status, response.body, response.request.items, statuses);
}

function items(outcome: BulkOutcome): ItemOutcome[] {
  assert.equal(outcome.kind, 'items', JSON.stringify(outcome));
  return outcome.kind === 'items' ? outcome.items : [];
}

for (const { name: server, mappingError, matrix } of fixtureSets) {
  describe(`${server}: captured answers`, () => {
    test('all documents indexed → all_ok', () => {
      assert.deepEqual(classify(captured(server, 'all-ok')), { kind: 'all_ok' });
    });

    const outcomes = items(classify(captured(server, 'item-errors')));

    test('one outcome per document sent, in order', () => {
      assert.deepEqual(
        outcomes.map((o) => o.kind),
        ['ok', 'failed', 'failed', 'ok', 'failed', 'ok'],
      );
    });

    test(`mapping errors fail for good with status 400 and type ${mappingError}`, () => {
      for (const [i, field] of [
        [1, 'firstPacket'],
        [2, 'source.ip'],
      ] as const) {
        const outcome = outcomes[i];
        assert.ok(outcome?.kind === 'failed');
        assert.equal(outcome.status, 400);
        assert.equal(outcome.type, mappingError);
        assert.match(outcome.reason, new RegExp(`failed to parse field \\[${field.replace('.', '\\.')}\\]`));
        assert.match(outcome.reason, /caused by illegal_argument_exception/);
      }
    });

    test('a delete of a missing document is ok: the index is as asked', () => {
      assert.deepEqual(outcomes[3], { kind: 'ok' });
    });

    test('a version conflict (409) fails for good', () => {
      const outcome = outcomes[4];
      assert.ok(outcome?.kind === 'failed');
      assert.equal(outcome.status, 409);
      assert.equal(outcome.type, 'version_conflict_engine_exception');
    });

    test('a version conflict is retried when 409 is configured as a status to retry', () => {
      const outcome = items(classify(captured(server, 'item-errors'), new Set([409])))[4];
      assert.equal(outcome?.kind, 'retry');
    });

    test('a delete in an index that does not exist is done: the document is not there (404 index_not_found_exception)', () => {
      const [outcome] = items(classify(captured(server, 'delete-missing-index')));
      assert.deepEqual(outcome, { kind: 'ok' });
    });

    test('a request refused as a whole for its content (400) is split to find the document at fault', () => {
      const response = captured(server, 'malformed-request');
      const outcome = classify(response);
      assert.ok(outcome.kind === 'request_failed');
      assert.equal(outcome.action, 'split');
      assert.equal(outcome.status, 400);
      assert.match(outcome.detail, /parse_exception/);
    });

    if (!matrix) return;

    test('items refused by an index write block (index.blocks.write) are waited out: 403 cluster_block_exception', () => {
      for (const outcome of items(classify(captured(server, 'write-block')))) {
        assert.ok(outcome.kind === 'retry', JSON.stringify(outcome));
        assert.equal(outcome.status, 403);
        assert.equal(outcome.type, 'cluster_block_exception');
        assert.match(outcome.reason, /index write \(api\)/);
      }
    });

    const rejectedItems = capturedIfAny(server, 'rejected-items');
    const rejectedRequest = capturedIfAny(server, 'rejected-request');
    if (rejectedItems !== undefined) {
      test('items rejected by the write pool (429) are resent, the others not, even without 429 among the statuses to retry', () => {
        const outcomes = items(classify(rejectedItems, new Set()));
        const rejected = outcomes.filter((o) => o.kind !== 'ok');
        assert.ok(rejected.length > 0);
        for (const outcome of rejected) {
          assert.ok(outcome.kind === 'retry', JSON.stringify(outcome));
          assert.equal(outcome.status, 429);
          assert.match(outcome.type, /rejected_execution_exception$/);
        }
      });
    }

    if (rejectedRequest !== undefined) {
      test('a whole request rejected by the write pool (429) is retried', () => {
        const outcome = classify(rejectedRequest, new Set());
        assert.ok(outcome.kind === 'request_failed');
        assert.deepEqual([outcome.action, outcome.status], ['retry', 429]);
        assert.match(outcome.type, /rejected_execution_exception$/);
      });
    }

    const mappingRace = capturedIfAny(server, 'mapping-race');
    if (mappingRace !== undefined) {
      test('a document refused for a mapping change another request made at the same moment is sent once more', () => {
        const [outcome] = items(classify(mappingRace));
        assert.ok(outcome?.kind === 'retry_once', JSON.stringify(outcome));
        assert.equal(outcome.status, 400);
        assert.equal(outcome.type, 'illegal_argument_exception');
        assert.match(outcome.reason, /^mapper \[dstTTL\] cannot be changed from type/);
      });
    }

    test('GET / answered as that build does', () => {
      const root = captured(server, 'root') as Captured & { headers: Record<string, string> };
      const elastic = server.startsWith('elasticsearch');
      assert.equal(root.headers['x-elastic-product'], elastic ? 'Elasticsearch' : undefined);
      if (root.status === 200) {
        const version = (JSON.parse(root.body) as { version: { number: string } }).version.number;
        assert.equal(`${elastic ? 'elasticsearch' : 'opensearch'}-${version}`, server);
      } else {
        // The integ-test builds of Elasticsearch 8 and 9 register no handler for GET /.
        assert.equal(root.status, 405);
      }
    });
  });
}

describe('synthetic answers', () => {
  const rejected429 =
    '{"errors":true,"items":[{"index":{"status":201}},{"index":{"status":429,"error":' +
    '{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"}}}]}';

  test('an item refused with 429 is retried when 429 is a status to retry', () => {
    const outcome = items(classifyBulkResponse(200, rejected429, 2, retryStatuses));
    assert.deepEqual(outcome, [
      { kind: 'ok' },
      {
        kind: 'retry',
        status: 429,
        type: 'es_rejected_execution_exception',
        reason: 'rejected execution of coordinating operation',
      },
    ]);
  });

  test('an item refused with 429 is retried even when 429 is not among the statuses to retry: overload is never the document', () => {
    const [, outcome] = items(classifyBulkResponse(200, rejected429, 2, new Set([503])));
    assert.equal(outcome?.kind, 'retry');
  });

  test('an item error without type or reason is still described; a 5xx is the server, retried', () => {
    const [outcome] = items(
      classifyBulkResponse(200, '{"errors":true,"items":[{"index":{"status":500}}]}', 1, retryStatuses),
    );
    assert.deepEqual(outcome, { kind: 'retry', status: 500, type: 'http_500', reason: 'status 500' });
  });

  test('a write block (disk flood stage) on an item is waited out, not dead-lettered', () => {
    const blocked =
      '{"errors":true,"items":[{"index":{"status":429,"error":{"type":"cluster_block_exception","reason":"index [x] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];"}}}]}';
    const [outcome] = items(classifyBulkResponse(200, blocked, 1, new Set()));
    assert.equal(outcome?.kind, 'retry');
  });

  test('a 400 item (the document itself) fails even when 400 looks like nothing else', () => {
    const body =
      '{"errors":true,"items":[{"index":{"status":400,"error":{"type":"illegal_argument_exception","reason":"x"}}}]}';
    assert.equal(items(classifyBulkResponse(200, body, 1, retryStatuses))[0]?.kind, 'failed');
  });

  test('illegal_argument_exception for the document (the total fields limit) fails; a mapping race of Elasticsearch 7 is sent once more', () => {
    const item = (reason: string): string =>
      `{"index":{"status":400,"error":{"type":"illegal_argument_exception","reason":${JSON.stringify(reason)}}}}`;
    const body = `{"errors":true,"items":[${[
      'Limit of total fields [1000] has been exceeded while adding new fields [3]',
      'mapper [dstTTL] of different type, current_type [long], merged_type [keyword]',
      'field [mapper [dstTTL] cannot be changed from type [long]] is not known',
    ]
      .map(item)
      .join(',')}]}`;
    assert.deepEqual(
      items(classifyBulkResponse(200, body, 3, retryStatuses)).map((o) => o.kind),
      ['failed', 'retry_once', 'failed'],
    );
  });

  for (const status of [503, 429, 502, 504]) {
    test(`a whole request answered ${status} is request_failed and retryable`, () => {
      const outcome = classifyBulkResponse(status, '{"error":"busy"}', 3, retryStatuses);
      assert.deepEqual(outcome, {
        kind: 'request_failed',
        action: 'retry',
        status,
        type: `http_${status}`,
        detail: '{"error":"busy"}',
      });
    });
  }

  for (const status of [400, 413]) {
    test(`a whole request answered ${status} is about its content: split`, () => {
      const outcome = classifyBulkResponse(status, '{"error":"no"}', 3, retryStatuses);
      assert.ok(outcome.kind === 'request_failed');
      assert.equal(outcome.action, 'split');
      assert.equal(outcome.status, status);
    });
  }

  for (const status of [401, 403, 404]) {
    test(`a whole request answered ${status} is the cluster's side (credentials, a block, a path): waited out`, () => {
      const outcome = classifyBulkResponse(
        status,
        '{"error":{"type":"security_exception"}}',
        3,
        retryStatuses,
      );
      assert.ok(outcome.kind === 'request_failed');
      assert.equal(outcome.action, 'retry');
      assert.equal(outcome.type, 'security_exception');
    });
  }

  test('a whole request blocked by the cluster (403 cluster_block_exception) is waited out', () => {
    const body =
      '{"error":{"type":"cluster_block_exception","reason":"blocked by: [FORBIDDEN/8/index write (api)];"},"status":403}';
    const outcome = classifyBulkResponse(403, body, 3, retryStatuses);
    assert.ok(outcome.kind === 'request_failed');
    assert.deepEqual([outcome.action, outcome.type], ['retry', 'cluster_block_exception']);
  });

  test('a response with fewer items than documents sent is request_failed, not misattributed', () => {
    const body = captured('opensearch', 'item-errors').body;
    const outcome = classifyBulkResponse(200, body, 7, retryStatuses);
    assert.ok(outcome.kind === 'request_failed');
    assert.equal(outcome.action, 'retry');
    assert.match(outcome.detail, /6 items for 7 sent/);
  });

  test('a 200 whose body is not JSON is request_failed', () => {
    const outcome = classifyBulkResponse(200, '<html>proxy error</html>', 1, retryStatuses);
    assert.ok(outcome.kind === 'request_failed');
    assert.match(outcome.detail, /proxy error/);
  });

  test('"errors": false is recognised even when not written in the compact form', () => {
    const outcome = classifyBulkResponse(
      200,
      '{ "errors" : false, "items": [{"index":{"status":201}}] }',
      1,
      retryStatuses,
    );
    assert.deepEqual(outcome, { kind: 'all_ok' });
  });

  test('a long error body is cut, so one bad answer cannot flood the logs', () => {
    const outcome = classifyBulkResponse(503, 'x'.repeat(100_000), 1, retryStatuses);
    assert.ok(outcome.kind === 'request_failed');
    assert.ok(outcome.detail.length <= 1000);
  });
});
