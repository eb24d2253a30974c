// ELASTIC_REQUEST_TIMEOUT against ELASTIC_CLIENT_BULK_TIMEOUT, as start-up checks them: the client
// must wait longer than the node may.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { timeoutErrors } from '../../src/config/timeouts.js';

const required = { KAFKA_CONSUMER_TOPIC: 'spi', KAFKA_CONSUMER_GROUP_NAME: 'g', ELASTIC_SERVICE: 'es-1' };

function loaded(env: Record<string, string>) {
  const result = loadConfig({ ...required, ...env });
  assert.ok(result.ok);
  return result.config;
}

describe('timeoutErrors', () => {
  test('the defaults (90s above 1m) and the hung-search test pair (1s above 500ms) are valid', () => {
    assert.deepEqual(timeoutErrors(loaded({})), []);
    assert.deepEqual(
      timeoutErrors(loaded({ ELASTIC_REQUEST_TIMEOUT: '1s', ELASTIC_CLIENT_BULK_TIMEOUT: '500ms' })),
      [],
    );
  });

  test('left unset, the request timeout follows a long bulk timeout: a Go setting of 2m starts as it did', () => {
    const config = loaded({ ELASTIC_CLIENT_BULK_TIMEOUT: '2m' });
    assert.equal(config.elasticRequestTimeout, 150_000);
    assert.deepEqual(timeoutErrors(config), []);
    assert.equal(
      loaded({ ELASTIC_CLIENT_BULK_TIMEOUT: '30s' }).elasticRequestTimeout,
      90_000,
      'never below its default',
    );
  });

  test('a request timeout at or below the bulk timeout: one line naming both, with their values', () => {
    const expected = (request: string, bulk: string): string[] => [
      `ELASTIC_REQUEST_TIMEOUT=${request} is not valid with ELASTIC_CLIENT_BULK_TIMEOUT=${bulk}: expected ELASTIC_REQUEST_TIMEOUT above ELASTIC_CLIENT_BULK_TIMEOUT, the time a node may spend before it answers a bulk request (raise the first or lower the second)`,
    ];
    // A request timeout of 1s left with the default bulk timeout of 1m.
    assert.deepEqual(timeoutErrors(loaded({ ELASTIC_REQUEST_TIMEOUT: '1s' })), expected('1s', '1m'));
    assert.deepEqual(
      timeoutErrors(loaded({ ELASTIC_REQUEST_TIMEOUT: '1m', ELASTIC_CLIENT_BULK_TIMEOUT: '60s' })),
      expected('1m', '1m'),
    );
    assert.deepEqual(
      timeoutErrors({ elasticRequestTimeout: 60_001, elasticClientBulkTimeout: 60_000 }),
      [],
      'a millisecond above is enough',
    );
  });
});
