// The Kafka TLS and SASL rule, on real certificate files made by openssl; no server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ResponseError,
  TimeoutError,
  UnsupportedApiError,
} from '@platformatic/kafka';
import { loadConfig, redacted } from '../../src/config/load.js';
import {
  groupProtocolFailure,
  KafkaConnectionError,
  kafkaSasl,
  kafkaTls,
  KafkaSecurityError,
  securityFailure,
  validateKafkaSecurity,
  type KafkaSecurityConfig,
} from '../../src/kafka/connection.js';
import { canRetry, IndexerError } from '../../src/retry.js';
import { makeCertificates, type Certificates } from '../../stack/certificates.js';

const none: KafkaSecurityConfig = {
  kafkaSslCaLocation: '',
  kafkaSslCertLocation: '',
  kafkaSslKeyLocation: '',
  kafkaSslKeyPassword: '',
  kafkaSaslMechanism: '',
  kafkaSaslUsername: '',
  kafkaSaslPassword: '',
};

describe('Kafka TLS and SASL settings', () => {
  let dir: string;
  let certs: Certificates;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aki-connection-'));
    certs = await makeCertificates(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const clientAuth = (): KafkaSecurityConfig => ({
    ...none,
    kafkaSslCaLocation: certs.ca,
    kafkaSslCertLocation: certs.clientCert,
    kafkaSslKeyLocation: certs.clientKey,
    kafkaSslKeyPassword: certs.clientKeyPassphrase,
  });

  test('nothing set: plaintext, no SASL', () => {
    assert.deepEqual(validateKafkaSecurity(none), []);
    assert.equal(kafkaTls(none), undefined);
    assert.equal(kafkaSasl(none), undefined);
  });

  test('a CA alone: TLS verifying the server, no client certificate', () => {
    const config = { ...none, kafkaSslCaLocation: certs.ca };
    assert.deepEqual(validateKafkaSecurity(config), []);
    const tls = kafkaTls(config);
    assert.deepEqual(Object.keys(tls ?? {}), ['ca']);
  });

  test('certificate and encrypted key with its password: client authentication', () => {
    assert.deepEqual(validateKafkaSecurity(clientAuth()), []);
    const tls = kafkaTls(clientAuth());
    assert.deepEqual(Object.keys(tls ?? {}).sort(), ['ca', 'cert', 'key', 'passphrase']);
    assert.equal(tls?.passphrase, certs.clientKeyPassphrase);
  });

  test('certificate and unencrypted key need no password, nor a CA (the system CAs are used)', () => {
    const config = {
      ...none,
      kafkaSslCertLocation: certs.clientCert,
      kafkaSslKeyLocation: certs.clientKeyPlain,
    };
    assert.deepEqual(validateKafkaSecurity(config), []);
    assert.deepEqual(Object.keys(kafkaTls(config) ?? {}).sort(), ['cert', 'key']);
  });

  test('a certificate without a key, or a key without a certificate, is one line naming both variables', () => {
    const certOnly = validateKafkaSecurity({ ...none, kafkaSslCertLocation: certs.clientCert });
    assert.equal(certOnly.length, 1);
    assert.match(certOnly[0]!, /^KAFKA_SSL_CERT_LOCATION is set but KAFKA_SSL_KEY_LOCATION is not/);
    const keyOnly = validateKafkaSecurity({
      ...none,
      kafkaSslCaLocation: certs.ca,
      kafkaSslKeyLocation: certs.clientKeyPlain,
    });
    assert.equal(keyOnly.length, 1);
    assert.match(keyOnly[0]!, /^KAFKA_SSL_KEY_LOCATION is set but KAFKA_SSL_CERT_LOCATION is not/);
  });

  test('a key password without a key is an error', () => {
    const errors = validateKafkaSecurity({
      ...none,
      kafkaSslCaLocation: certs.ca,
      kafkaSslKeyPassword: 'secret-1',
    });
    assert.deepEqual(errors, [
      'KAFKA_SSL_KEY_PASSWORD is set but KAFKA_SSL_KEY_LOCATION is not: the password opens an encrypted key',
    ]);
  });

  test('unreadable files: each named by its variable and path', () => {
    const missing = join(dir, 'missing.pem');
    const errors = validateKafkaSecurity({
      ...clientAuth(),
      kafkaSslCaLocation: missing,
      kafkaSslCertLocation: dir,
    });
    assert.deepEqual(errors, [
      `KAFKA_SSL_CA_LOCATION=${JSON.stringify(missing)} cannot be read: no such file`,
      `KAFKA_SSL_CERT_LOCATION=${JSON.stringify(dir)} cannot be read: it is a directory`,
    ]);
    assert.throws(
      () => kafkaTls({ ...clientAuth(), kafkaSslCaLocation: missing }),
      (error: unknown) =>
        error instanceof KafkaSecurityError &&
        error.message === `KAFKA_SSL_CA_LOCATION=${JSON.stringify(missing)} cannot be read: no such file`,
    );
  });

  test('files that hold no certificate or no key', () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    const errors = validateKafkaSecurity({
      ...none,
      kafkaSslCaLocation: junk,
      kafkaSslCertLocation: junk,
      kafkaSslKeyLocation: junk,
    });
    assert.deepEqual(errors, [
      `KAFKA_SSL_CA_LOCATION=${JSON.stringify(junk)} does not hold a PEM certificate`,
      `KAFKA_SSL_CERT_LOCATION=${JSON.stringify(junk)} does not hold a PEM certificate`,
      `KAFKA_SSL_KEY_LOCATION=${JSON.stringify(junk)} does not hold a PEM private key`,
    ]);
  });

  test('an encrypted key without its password, or with a wrong one; the password is never shown', () => {
    const where = `KAFKA_SSL_KEY_LOCATION=${JSON.stringify(certs.clientKey)}`;
    assert.deepEqual(validateKafkaSecurity({ ...clientAuth(), kafkaSslKeyPassword: '' }), [
      `${where} is an encrypted key: set KAFKA_SSL_KEY_PASSWORD`,
    ]);
    const wrong = validateKafkaSecurity({ ...clientAuth(), kafkaSslKeyPassword: 'wrong-passphrase-42' });
    assert.deepEqual(wrong, [`KAFKA_SSL_KEY_PASSWORD does not open the key in ${where}`]);
    assert.ok(!wrong.join('\n').includes('wrong-passphrase-42'));
  });

  test('a key that is not the certificate’s', () => {
    const otherKey = join(dir, 'other-ca.key');
    const errors = validateKafkaSecurity({
      ...clientAuth(),
      kafkaSslKeyLocation: otherKey,
      kafkaSslKeyPassword: '',
    });
    assert.deepEqual(errors, [
      `KAFKA_SSL_KEY_LOCATION=${JSON.stringify(otherKey)} is not the key of the certificate in KAFKA_SSL_CERT_LOCATION=${JSON.stringify(certs.clientCert)}`,
    ]);
  });

  test('SASL: each mechanism with user and password, over TLS or not', () => {
    for (const [setting, mechanism] of [
      ['plain', 'PLAIN'],
      ['scram-sha-256', 'SCRAM-SHA-256'],
      ['scram-sha-512', 'SCRAM-SHA-512'],
    ] as const) {
      const config = {
        ...none,
        kafkaSaslMechanism: setting,
        kafkaSaslUsername: 'alice',
        kafkaSaslPassword: 'pw',
      };
      assert.deepEqual(validateKafkaSecurity(config), []);
      assert.deepEqual(kafkaSasl(config), { mechanism, username: 'alice', password: 'pw' });
      assert.deepEqual(
        validateKafkaSecurity({
          ...clientAuth(),
          kafkaSaslMechanism: setting,
          kafkaSaslUsername: 'alice',
          kafkaSaslPassword: 'pw',
        }),
        [],
      );
    }
  });

  test('SASL: a mechanism without user or password, or credentials without a mechanism', () => {
    assert.deepEqual(validateKafkaSecurity({ ...none, kafkaSaslMechanism: 'scram-sha-512' }), [
      'KAFKA_SASL_MECHANISM=scram-sha-512 needs KAFKA_SASL_USERNAME',
      'KAFKA_SASL_MECHANISM=scram-sha-512 needs KAFKA_SASL_PASSWORD',
    ]);
    const errors = validateKafkaSecurity({
      ...none,
      kafkaSaslUsername: 'alice',
      kafkaSaslPassword: 'secret-2',
    });
    assert.deepEqual(errors, [
      'KAFKA_SASL_USERNAME is set but KAFKA_SASL_MECHANISM is not: set it to plain, scram-sha-256, scram-sha-512',
      'KAFKA_SASL_PASSWORD is set but KAFKA_SASL_MECHANISM is not: set it to plain, scram-sha-256, scram-sha-512',
    ]);
    assert.ok(!errors.join('\n').includes('secret-2'));
  });

  test('the settings load from the environment: mechanism in any case, password redacted', () => {
    const env = {
      KAFKA_CONSUMER_TOPIC: 't',
      KAFKA_CONSUMER_GROUP_NAME: 'g',
      ELASTIC_SERVICE: 'es',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'alice',
      KAFKA_SASL_PASSWORD: 'secret-3',
    };
    const loaded = loadConfig(env);
    assert.ok(loaded.ok);
    assert.equal(loaded.config.kafkaSaslMechanism, 'scram-sha-512');
    assert.equal(redacted(loaded.config)['KAFKA_SASL_PASSWORD'], '***');
    const bad = loadConfig({ ...env, KAFKA_SASL_MECHANISM: 'GSSAPI' });
    assert.ok(!bad.ok);
    assert.match(bad.errors.join('\n'), /^KAFKA_SASL_MECHANISM="GSSAPI" is not valid/m);
    const defaults = loadConfig({
      KAFKA_CONSUMER_TOPIC: 't',
      KAFKA_CONSUMER_GROUP_NAME: 'g',
      ELASTIC_SERVICE: 'es',
    });
    assert.ok(defaults.ok);
    assert.equal(defaults.config.kafkaSaslMechanism, '');
  });
});

/** An error as the client reports a failed connection: per broker, then for all of them. */
function connectionFailed(cause: Error): Error {
  const broker = new NetworkError('Connection to kafka:9093 failed.', { cause });
  return new MultipleErrors('Cannot connect to any broker.', [broker]);
}

/** The broker's answer to an API (17: SaslHandshake, 36: SaslAuthenticate) with a protocol error code. */
function brokerRefused(api: number, errorCode: number, message: string | null = null): Error {
  return new ResponseError(api, 1, { '/': [errorCode, message] }, {});
}

describe('securityFailure: what the client reports, read by its codes', () => {
  const sasl: KafkaSecurityConfig = {
    ...none,
    kafkaSaslMechanism: 'scram-sha-512',
    kafkaSaslUsername: 'indexer512',
    kafkaSaslPassword: 'secret-4',
  };
  const tls: KafkaSecurityConfig = { ...none, kafkaSslCaLocation: '/etc/kafka/ca.pem' };

  test('a server certificate that does not verify names KAFKA_SSL_CA_LOCATION', () => {
    const untrusted = Object.assign(new Error('unable to verify the first certificate'), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    assert.equal(
      securityFailure(connectionFailed(new NetworkError('Connection error', { cause: untrusted })), tls),
      `the broker's TLS certificate is not trusted (unable to verify the first certificate): check KAFKA_SSL_CA_LOCATION="/etc/kafka/ca.pem"`,
    );
  });

  test('a TLS alert from the broker names the client certificate and key', () => {
    const alert = Object.assign(new Error('tlsv13 alert certificate required\n'), {
      code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    });
    assert.equal(
      securityFailure(connectionFailed(alert), tls),
      'the broker refused the TLS handshake (tlsv13 alert certificate required): check KAFKA_SSL_CERT_LOCATION and KAFKA_SSL_KEY_LOCATION (a client certificate the broker trusts)',
    );
  });

  test('a mechanism the broker does not take: from its answer, or from a handshake it dropped', () => {
    const expected =
      'the broker does not offer the SASL mechanism SCRAM-SHA-512 on this listener: check KAFKA_SASL_MECHANISM';
    for (const cause of [brokerRefused(17, 33), new NetworkError('Connection closed')]) {
      const handshake = new AuthenticationError('Cannot find a suitable SASL mechanism.', { cause });
      assert.equal(securityFailure(connectionFailed(handshake), sasl), expected);
    }
  });

  test('a refused password: the deepest authentication error is the reason, the password is not shown', () => {
    const refused = new AuthenticationError('SASL authentication failed.', {
      cause: brokerRefused(36, 58, 'Authentication failed during authentication due to invalid credentials'),
    });
    const why = securityFailure(connectionFailed(refused), sasl);
    assert.equal(
      why,
      'SASL SCRAM-SHA-512 authentication of user "indexer512" failed (SASL authentication failed.): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    );
    assert.ok(!why.includes('secret-4'));
    // SCRAM's own refusal carries the server's word as its message.
    assert.match(
      securityFailure(connectionFailed(new AuthenticationError('invalid-proof')), sasl) ?? '',
      /failed \(invalid-proof\): check/,
    );
  });

  test('every connection closed under TLS: the client certificate the broker wants', () => {
    const closed = (): Error => new NetworkError('Connection closed');
    const both = new MultipleErrors('Cannot connect to any broker.', [closed(), closed()]);
    assert.match(securityFailure(both, tls) ?? '', /^the broker closed every connection right after the TLS/);
    // Without TLS, closed connections are a broker restarting.
    assert.equal(securityFailure(both, none), undefined);
  });

  test('a broker down, slow or closing now and then is no security failure: the client retries', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9093'), { code: 'ECONNREFUSED' });
    assert.equal(securityFailure(connectionFailed(refused), tls), undefined);
    const slow = new TimeoutError('Connection to kafka:9093 timed out.', { canRetry: true });
    assert.equal(securityFailure(connectionFailed(slow), tls), undefined);
    const mixed = new MultipleErrors('Cannot connect to any broker.', [
      new NetworkError('Connection closed'),
      slow,
    ]);
    assert.equal(securityFailure(mixed, tls), undefined);
    assert.equal(securityFailure(new Error('authentication failed, says a proxy'), sasl), undefined);
  });
});

describe('Kafka errors', () => {
  test('settings and refusals no retry fixes: stable codes, not retryable', () => {
    const security = new KafkaSecurityError('KAFKA_SSL_CA_LOCATION cannot be read');
    const connection = new KafkaConnectionError('Kafka consumer cannot connect to kafka:9093: …');
    for (const [error, code] of [
      [security, 'AKI_KAFKA_SECURITY'],
      [connection, 'AKI_KAFKA_CONNECTION'],
    ] as const) {
      assert.ok(error instanceof IndexerError);
      assert.equal(error.code, code);
      assert.equal(error.retryable, false);
      assert.equal(canRetry(error), false);
      assert.equal(canRetry(new Error('wrapped', { cause: error })), false);
    }
    assert.equal(connection.name, 'KafkaConnectionError');
  });
});

describe('groupProtocolFailure: KIP-848 asked of brokers that do not run it', () => {
  // Kafka 3.9's answer to ConsumerGroupHeartbeat (API 68) without the new protocol turned on.
  const heartbeatRefused = (): Error => brokerRefused(68, 35);

  test('a broker answering UNSUPPORTED_VERSION, or one without the API: names the setting', () => {
    for (const error of [
      heartbeatRefused(),
      new UnsupportedApiError('Unsupported API ConsumerGroupHeartbeat.'),
    ]) {
      assert.match(
        groupProtocolFailure(error, true) ?? '',
        /^the brokers do not run the KIP-848 consumer group protocol \(.+\), on by default from Kafka 4\.0: set KAFKA_CONSUMER_INCREMENTAL_REBALANCE=false, or upgrade the brokers$/,
      );
    }
  });

  test('with the classic protocol, or for any other failure, it is not the reason', () => {
    assert.equal(groupProtocolFailure(heartbeatRefused(), false), undefined);
    assert.equal(
      groupProtocolFailure(connectionFailed(new NetworkError('Connection closed')), true),
      undefined,
    );
    assert.equal(groupProtocolFailure(brokerRefused(68, 15), true), undefined); // COORDINATOR_NOT_AVAILABLE
  });
});
