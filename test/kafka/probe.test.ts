// The --check probe and the start-up refusal check against a port where no broker listens: the
// connection is refused at once, so no server is needed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import type { KafkaSecurityConfig } from '../../src/kafka/connection.js';
import { KafkaProbe, securityRefusal } from '../../src/kafka/probe.js';

/** The default settings: plaintext, no SASL. */
function plaintext(): KafkaSecurityConfig {
  const loaded = loadConfig({
    KAFKA_CONSUMER_TOPIC: 't',
    KAFKA_CONSUMER_GROUP_NAME: 'g',
    ELASTIC_SERVICE: 'es',
  });
  assert.ok(loaded.ok);
  return loaded.config;
}

describe('Kafka probe, no broker listening', () => {
  test('--check says which brokers and the deepest reason, once', async () => {
    const probe = new KafkaProbe(['127.0.0.1:1'], plaintext(), 2000);
    try {
      await assert.rejects(probe.cluster(), {
        message: '127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1',
      });
    } finally {
      await probe.close();
    }
  });

  test('a broker down is no refusal of the settings: start-up goes on and the client retries', async () => {
    assert.equal(await securityRefusal(['127.0.0.1:1'], plaintext(), 2000), undefined);
  });
});
