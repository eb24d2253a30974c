// The --check probe and the start-up refusal check against a port where no broker listens: the
// connection is refused at once, so no server is needed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KafkaSecurityConfig } from '../../src/kafka/connection.js';
import { KafkaProbe, securityRefusal } from '../../src/kafka/probe.js';

const plaintext: KafkaSecurityConfig = {
  kafkaSslCaLocation: '',
  kafkaSslCertLocation: '',
  kafkaSslKeyLocation: '',
  kafkaSslKeyPassword: '',
  kafkaSaslMechanism: '',
  kafkaSaslUsername: '',
  kafkaSaslPassword: '',
};

describe('Kafka probe, no broker listening', () => {
  test('--check says which brokers and the deepest reason, once', async () => {
    const probe = new KafkaProbe(['127.0.0.1:1'], plaintext, 2000);
    try {
      await assert.rejects(probe.cluster(), {
        message: '127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1',
      });
    } finally {
      await probe.close();
    }
  });

  test('a broker down is no refusal of the settings: start-up goes on and the client retries', async () => {
    assert.equal(await securityRefusal(['127.0.0.1:1'], plaintext, 2000), undefined);
  });
});
