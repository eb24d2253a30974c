// The one factory of the indexer's dependencies, used by the service and by `replay`: the retry
// policy comes from the configuration, bulk requests go through the client given, and a refusal
// of the credentials is told once, by the search component's logger.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { indexerDeps } from '../src/indexer-deps.js';
import type { BulkReply } from '../src/records.js';
import { createMetrics } from '../src/telemetry/metrics.js';
import { capturedLogger } from './helpers/log-lines.js';

const loaded = loadConfig({
  KAFKA_CONSUMER_TOPIC: 'spi',
  KAFKA_CONSUMER_GROUP_NAME: 'g',
  ELASTIC_SERVICE: 'http://es-1:9200',
  ELASTIC_USERNAME: 'indexer',
  ELASTIC_PASSWORD: 'pw-Zq81xK',
  ELASTIC_CLIENT_RETRY_STATUSES: '503,429',
  ELASTIC_CLIENT_MAX_RETRIES: '7',
  ELASTIC_CLIENT_RETRY_GIVE_UP_AFTER: '10m',
  ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '3s',
});
assert.ok(loaded.ok);
const config = loaded.config;

describe('indexerDeps', () => {
  test('the retry policy of the configuration; what differs is the caller’s', () => {
    const { logger } = capturedLogger();
    const fail = (): Promise<void> => Promise.resolve();
    const onUnavailable = (): void => undefined;
    const deps = indexerDeps(config, {
      client: { bulk: () => Promise.resolve({ status: 200, body: '{}', node: 'es-1' }) },
      metrics: createMetrics(config),
      log: () => logger,
      fail,
      onUnavailable,
    });
    assert.deepEqual([...deps.retryStatuses].sort(), [429, 503]);
    assert.equal(deps.maxRetries, 7);
    assert.equal(deps.giveUpAfterMs, 600_000);
    assert.deepEqual(deps.backoff, { baseMs: 50, maxMs: 3000 });
    assert.equal(deps.fail, fail);
    assert.equal(deps.onUnavailable, onUnavailable);
  });

  test('bulks go through the client; refused credentials are logged once, by the search logger, without the password', async () => {
    const search = capturedLogger();
    const indexer = capturedLogger();
    const sent: Buffer[][] = [];
    const reply: BulkReply = { status: 401, body: '{"error":{"type":"security_exception"}}', node: 'es-1' };
    const deps = indexerDeps(config, {
      client: {
        bulk: (body: Buffer[]) => {
          sent.push(body);
          return Promise.resolve(reply);
        },
      },
      metrics: createMetrics(config),
      log: (component) => (component === 'search' ? search.logger : indexer.logger),
      fail: () => Promise.resolve(),
      onUnavailable: () => undefined,
    });
    const body = [Buffer.from('{"index":{}}\n{}\n')];
    assert.equal(await deps.send(body, new AbortController().signal), reply);
    await deps.send(body, new AbortController().signal);
    assert.deepEqual(sent, [body, body]);
    assert.equal(search.lines.length, 1, JSON.stringify(search.lines));
    assert.match(
      String(search.lines[0]?.['msg']),
      /refused the credentials \(401\) sent as Basic \(ELASTIC_USERNAME\/ELASTIC_PASSWORD\)/,
    );
    assert.ok(!JSON.stringify(search.lines).includes('pw-Zq81xK'));
    assert.equal(deps.logger, indexer.logger);
  });
});
