// How the Kafka clients connect: TLS from KAFKA_SSL_* and SASL from KAFKA_SASL_*, shared by the
// consumer and the failure producer. Every problem is found before the first connection and
// named by its variable (and path), never by a password.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type ConnectionOptions } from 'node:tls';
import type { SASLOptions } from '@platformatic/kafka';
import { readProblem } from '../config/files.js';
import type { Config } from '../config/schema.js';
import { errorTree, IndexerError } from '../retry.js';
import { isUntrustedCertificate } from '../tls.js';

export type KafkaTlsConfig = Pick<
  Config,
  'kafkaSslCaLocation' | 'kafkaSslCertLocation' | 'kafkaSslKeyLocation' | 'kafkaSslKeyPassword'
>;

export type KafkaSaslConfig = Pick<Config, 'kafkaSaslMechanism' | 'kafkaSaslUsername' | 'kafkaSaslPassword'>;

export type KafkaSecurityConfig = KafkaTlsConfig & KafkaSaslConfig;

/** A Kafka TLS or SASL setting that cannot work; the message names the variables at fault. */
export class KafkaSecurityError extends IndexerError {
  static readonly code = 'AKI_KAFKA_SECURITY';
  constructor(message: string) {
    super(message, KafkaSecurityError.code, false);
  }
}

const saslMechanisms = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
} as const;

/** Settings that only make sense together: one line per problem, each naming the variables. */
function pairingErrors(config: KafkaSecurityConfig): string[] {
  const errors: string[] = [];
  const cert = config.kafkaSslCertLocation !== '';
  const key = config.kafkaSslKeyLocation !== '';
  if (cert && !key) {
    errors.push(
      'KAFKA_SSL_CERT_LOCATION is set but KAFKA_SSL_KEY_LOCATION is not: client authentication needs both the certificate and its key',
    );
  }
  if (key && !cert) {
    errors.push(
      'KAFKA_SSL_KEY_LOCATION is set but KAFKA_SSL_CERT_LOCATION is not: client authentication needs both the certificate and its key',
    );
  }
  if (config.kafkaSslKeyPassword !== '' && !key) {
    errors.push(
      'KAFKA_SSL_KEY_PASSWORD is set but KAFKA_SSL_KEY_LOCATION is not: the password opens an encrypted key',
    );
  }
  const mechanism = config.kafkaSaslMechanism;
  if (mechanism === '') {
    for (const [name, value] of [
      ['KAFKA_SASL_USERNAME', config.kafkaSaslUsername],
      ['KAFKA_SASL_PASSWORD', config.kafkaSaslPassword],
    ] as const) {
      if (value !== '') {
        errors.push(
          `${name} is set but KAFKA_SASL_MECHANISM is not: set it to ${Object.keys(saslMechanisms).join(', ')}`,
        );
      }
    }
  } else {
    if (config.kafkaSaslUsername === '') {
      errors.push(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME`);
    }
    if (config.kafkaSaslPassword === '') {
      errors.push(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_PASSWORD`);
    }
  }
  return errors;
}

/** Reads one file, or records why not under the variable that names it. */
function read(variable: string, path: string, errors: string[]): Buffer | undefined {
  if (path === '') return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    errors.push(`${variable}=${JSON.stringify(path)} cannot be read: ${readProblem(error)}`);
    return undefined;
  }
}

function holdsCertificate(pem: Buffer): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/** Why the key cannot be used with this passphrase, or undefined when it can. */
function keyProblem(key: Buffer, passphrase: string, path: string): string | undefined {
  const where = `KAFKA_SSL_KEY_LOCATION=${JSON.stringify(path)}`;
  // PKCS#8 and the traditional OpenSSL format mark encryption in the PEM text; OpenSSL's own
  // error codes for a missing or wrong passphrase differ between versions.
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(
    key.toString('latin1'),
  );
  if (encrypted && passphrase === '') return `${where} is an encrypted key: set KAFKA_SSL_KEY_PASSWORD`;
  try {
    createPrivateKey({ key, format: 'pem', ...(passphrase !== '' && { passphrase }) });
    return undefined;
  } catch {
    return encrypted
      ? `KAFKA_SSL_KEY_PASSWORD does not open the key in ${where}`
      : `${where} does not hold a PEM private key`;
  }
}

/** The TLS options, and every reason they cannot work (files first, then their contents). */
function readTls(config: KafkaTlsConfig): { options: ConnectionOptions | undefined; errors: string[] } {
  const errors: string[] = [];
  if (
    config.kafkaSslCaLocation === '' &&
    config.kafkaSslCertLocation === '' &&
    config.kafkaSslKeyLocation === ''
  ) {
    return { options: undefined, errors };
  }
  const ca = read('KAFKA_SSL_CA_LOCATION', config.kafkaSslCaLocation, errors);
  const cert = read('KAFKA_SSL_CERT_LOCATION', config.kafkaSslCertLocation, errors);
  const key = read('KAFKA_SSL_KEY_LOCATION', config.kafkaSslKeyLocation, errors);
  if (ca !== undefined && !holdsCertificate(ca)) {
    errors.push(
      `KAFKA_SSL_CA_LOCATION=${JSON.stringify(config.kafkaSslCaLocation)} does not hold a PEM certificate`,
    );
  }
  if (cert !== undefined && !holdsCertificate(cert)) {
    errors.push(
      `KAFKA_SSL_CERT_LOCATION=${JSON.stringify(config.kafkaSslCertLocation)} does not hold a PEM certificate`,
    );
  }
  const badKey =
    key === undefined ? undefined : keyProblem(key, config.kafkaSslKeyPassword, config.kafkaSslKeyLocation);
  if (badKey !== undefined) errors.push(badKey);
  const options: ConnectionOptions = {
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
    ...(config.kafkaSslKeyPassword !== '' && { passphrase: config.kafkaSslKeyPassword }),
  };
  if (errors.length === 0 && cert !== undefined && key !== undefined) {
    try {
      createSecureContext(options);
    } catch {
      errors.push(
        `KAFKA_SSL_KEY_LOCATION=${JSON.stringify(config.kafkaSslKeyLocation)} is not the key of the certificate in KAFKA_SSL_CERT_LOCATION=${JSON.stringify(config.kafkaSslCertLocation)}`,
      );
    }
  }
  return { options, errors };
}

/**
 * Every reason the Kafka TLS and SASL settings cannot work, one line each naming the variables
 * (and paths, never a password); empty when they can. Reads the certificate and key files.
 * The rule: a CA alone gives a verified server; a certificate and its key add client
 * authentication; the password is needed only for an encrypted key. SASL needs a mechanism, a
 * user name and a password, and works over TLS or plaintext.
 */
export function validateKafkaSecurity(config: KafkaSecurityConfig): string[] {
  const pairing = pairingErrors(config);
  if (pairing.length > 0) return pairing;
  return readTls(config).errors;
}

/** TLS options for the Kafka clients, or undefined for plaintext; throws a KafkaSecurityError if they cannot work. */
export function kafkaTls(config: KafkaTlsConfig): ConnectionOptions | undefined {
  const { options, errors } = readTls(config);
  if (errors.length > 0) throw new KafkaSecurityError(errors.join('; '));
  return options;
}

/** SASL options for the Kafka clients, or undefined without SASL. */
export function kafkaSasl(config: KafkaSaslConfig): SASLOptions | undefined {
  if (config.kafkaSaslMechanism === '') return undefined;
  return {
    mechanism: saslMechanisms[config.kafkaSaslMechanism],
    username: config.kafkaSaslUsername,
    password: config.kafkaSaslPassword,
  };
}

/**
 * The Kafka client could not connect or authenticate, for a reason a retry does not fix (a
 * certificate, a password, a mechanism); the message says which and which variables to check.
 */
export class KafkaConnectionError extends IndexerError {
  static readonly code = 'AKI_KAFKA_CONNECTION';
  constructor(message: string) {
    super(message, KafkaConnectionError.code, false);
  }
}

/** A field of an error in the client's tree (`code`, `apiId`); '' when it has none. */
function field(error: Error, name: 'code' | 'apiId'): string {
  const value = (error as Partial<Record<typeof name, unknown>>)[name];
  return typeof value === 'string' ? value : '';
}

/**
 * The client's error for a SASL handshake that failed. It has the code of a refused password
 * (PLT_KFK_AUTHENTICATION) and no field of its own; the broker's answer (apiId
 * UNSUPPORTED_SASL_MECHANISM) is in its cause only when one came, and a listener that drops the
 * connection mid-handshake sends none. So its exact message, from network/connection.js, is what
 * tells the handshake from the authentication that follows it.
 */
const handshakeFailed = (e: Error): boolean =>
  field(e, 'code') === 'PLT_KFK_AUTHENTICATION' && e.message === 'Cannot find a suitable SASL mechanism.';

/** A refused user or password: the client's authentication error, or the broker's own refusal under it. */
const authenticationFailed = (e: Error): boolean =>
  field(e, 'code') === 'PLT_KFK_AUTHENTICATION' || field(e, 'apiId') === 'SASL_AUTHENTICATION_FAILED';

/**
 * The client's "Connection closed": the socket ended under a request. Its timeouts share its
 * code (PLT_KFK_NETWORK) and its `canRetry`, so only the message tells a broker that hung up from
 * one that is slow.
 */
const connectionClosed = (e: Error): boolean =>
  field(e, 'code') === 'PLT_KFK_NETWORK' && e.message.startsWith('Connection closed');

/**
 * Why a Kafka client failed because of its TLS or SASL settings, in one sentence naming the
 * variables to check; undefined when the failure is something else (a broker down, say), which
 * the client's own retries are for. Decided by the error codes of Node's TLS layer and of the
 * client (errors.js: `code`, and `apiId` for the broker's answers).
 */
export function securityFailure(error: unknown, config: KafkaSecurityConfig): string | undefined {
  const errors = errorTree(error);
  const tls = errors.find(isUntrustedCertificate);
  if (tls !== undefined) {
    return `the broker's TLS certificate is not trusted (${tls.message}): check KAFKA_SSL_CA_LOCATION=${JSON.stringify(config.kafkaSslCaLocation)}`;
  }
  const alert = errors.find((e) => /^ERR_SSL_.*ALERT/.test(field(e, 'code')));
  if (alert !== undefined) {
    return `the broker refused the TLS handshake (${alert.message.trim()}): check KAFKA_SSL_CERT_LOCATION and KAFKA_SSL_KEY_LOCATION (a client certificate the broker trusts)`;
  }
  const mechanism = kafkaSasl(config)?.mechanism ?? 'none';
  if (errors.some(handshakeFailed)) {
    return `the broker does not offer the SASL mechanism ${mechanism} on this listener: check KAFKA_SASL_MECHANISM`;
  }
  const authentication = errors.filter(authenticationFailed);
  if (authentication.length > 0) {
    // The broker's own words are the deepest message; they name the mechanism, never the password.
    const reason = authentication.at(-1)?.message ?? 'authentication failed';
    return `SASL ${mechanism} authentication of user ${JSON.stringify(config.kafkaSaslUsername)} failed (${reason}): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`;
  }
  // Under TLS 1.3 a broker refuses a missing or untrusted client certificate by closing the
  // connection after the handshake: all the client sees is "Connection closed", every try.
  const leaves = errors.filter((e) => !(e instanceof AggregateError) && e.cause === undefined);
  const tlsOn = config.kafkaSslCaLocation !== '' || config.kafkaSslCertLocation !== '';
  if (tlsOn && leaves.length > 0 && leaves.every(connectionClosed)) {
    return 'the broker closed every connection right after the TLS handshake: if it requires client certificates (ssl.client.auth=required), check KAFKA_SSL_CERT_LOCATION and KAFKA_SSL_KEY_LOCATION';
  }
  return undefined;
}

/**
 * Why the consumer could not join its group with the KIP-848 protocol
 * (KAFKA_CONSUMER_INCREMENTAL_REBALANCE=true), which no retry fixes; undefined for any other
 * failure. Brokers before 3.7 do not offer its API (the client's PLT_KFK_UNSUPPORTED_API); 3.7 to
 * 3.9 offer it but answer UNSUPPORTED_VERSION unless their group coordinator runs the new
 * protocol, as 4.0 and later do by default.
 */
export function groupProtocolFailure(error: unknown, incremental: boolean): string | undefined {
  if (!incremental) return undefined;
  const refused = errorTree(error).find(
    (e) => field(e, 'code') === 'PLT_KFK_UNSUPPORTED_API' || field(e, 'apiId') === 'UNSUPPORTED_VERSION',
  );
  if (refused === undefined) return undefined;
  return `the brokers do not run the KIP-848 consumer group protocol (${refused.message}), on by default from Kafka 4.0: set KAFKA_CONSUMER_INCREMENTAL_REBALANCE=false, or upgrade the brokers`;
}

/** The TLS and SASL options, as both the consumer and the failure producer take them. */
export function kafkaSecurity(config: KafkaSecurityConfig): { tls?: ConnectionOptions; sasl?: SASLOptions } {
  const tls = kafkaTls(config);
  const sasl = kafkaSasl(config);
  return { ...(tls && { tls }), ...(sasl && { sasl }) };
}
