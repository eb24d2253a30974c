// The search side's errors: a stable code each, and whether trying again can help.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canRetry, IndexerError } from '../../src/retry.js';
import { TransportError, unreachableNode } from '../../src/search/bulk-client.js';
import { SearchSecurityError } from '../../src/search/connection.js';
import { CloudIdError, decodeCloudId } from '../../src/search/nodes.js';

describe('search errors', () => {
  test('no HTTP answer: AKI_SEARCH_UNREACHABLE, retryable, naming the node and the cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const error = new TransportError('https://es1:9200', cause);
    assert.ok(error instanceof IndexerError);
    assert.equal(error.code, 'AKI_SEARCH_UNREACHABLE');
    assert.equal(error.retryable, true);
    assert.equal(canRetry(error), true);
    assert.equal(error.message, 'search node https://es1:9200 unreachable: connect ECONNREFUSED');
    assert.equal(error.cause, cause);
    assert.equal(error.name, 'TransportError');
  });

  test('unreachableNode finds the transport error by its code, wrapped or not', () => {
    const error = new TransportError('https://es1:9200', new Error('socket hang up'));
    assert.equal(unreachableNode(error), error);
    assert.equal(unreachableNode(new Error('aborted', { cause: error })), error);
    assert.equal(unreachableNode(new AggregateError([new Error('x'), error])), error);
    assert.equal(unreachableNode(new Error('search node x unreachable: like one, but not one')), undefined);
    assert.equal(unreachableNode('not an error'), undefined);
  });

  test('settings that cannot work: stable codes, not retryable', () => {
    const cloud = ((): unknown => {
      try {
        return decodeCloudId('no-colon');
      } catch (error) {
        return error;
      }
    })();
    assert.ok(cloud instanceof CloudIdError);
    for (const [error, code] of [
      [new SearchSecurityError('ELASTIC_SSL_CA_LOCATION cannot be read'), 'AKI_SEARCH_SECURITY'],
      [cloud, 'AKI_SEARCH_CLOUD_ID'],
    ] as const) {
      assert.ok(error instanceof IndexerError);
      assert.equal(error.code, code);
      assert.equal(error.retryable, false);
      assert.equal(canRetry(error), false);
    }
  });
});
