// Certificates for a Kafka broker's SSL and SASL_SSL listeners, made with the `openssl` command:
// a CA, a broker certificate for 127.0.0.1 and localhost, a client certificate whose key is
// encrypted with a passphrase, and a second CA that signed none of them (for "wrong CA" tests).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './artifacts.js';

export interface Certificates {
  /** PEM of the CA that signed the broker and client certificates. */
  ca: string;
  /** PEM of a CA that signed nothing here: a client trusting only it must refuse the broker. */
  otherCa: string;
  /** The client's certificate (PEM), its key (encrypted PKCS#8 PEM) and that key's passphrase. */
  clientCert: string;
  clientKey: string;
  clientKeyPassphrase: string;
  /** The client's key unencrypted (PEM). */
  clientKeyPlain: string;
  /** The server certificate (for 127.0.0.1 and localhost) and its unencrypted key, as PEM files (nginx). */
  serverCert: string;
  serverKey: string;
  /** The broker's key and certificate chain as a PKCS12 keystore, and its password. */
  brokerKeystore: string;
  brokerKeystorePassword: string;
}

const days = '2';

async function openssl(args: string[], what: string): Promise<void> {
  await runCommand('openssl', args, what);
}

/** A key and a certificate signed by `ca` (or self-signed when `ca` is absent). */
async function certificate(
  dir: string,
  name: string,
  subject: string,
  extensions: string[],
  ca?: { cert: string; key: string },
): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${extensions.join('\n')}\n`);
  await openssl(
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key],
    `key ${name}`,
  );
  const csr = join(dir, `${name}.csr`);
  await openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr], `request ${name}`);
  // `x509 -req` rather than `req -x509`: OpenSSL 3.0's req has no -extfile.
  const signer = ca === undefined ? ['-signkey', key] : ['-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial'];
  await openssl(
    ['x509', '-req', '-in', csr, ...signer, '-days', days, '-out', cert, '-extfile', ext],
    `certificate ${name}`,
  );
  return { cert, key };
}

/** Makes every file in `dir` (created if absent); a few hundred milliseconds. */
export async function makeCertificates(dir: string): Promise<Certificates> {
  mkdirSync(dir, { recursive: true });
  const caExtensions = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
  const ca = await certificate(dir, 'ca', '/CN=aki-test-ca', caExtensions);
  const other = await certificate(dir, 'other-ca', '/CN=aki-other-ca', caExtensions);
  const broker = await certificate(
    dir,
    'broker',
    '/CN=localhost',
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    ca,
  );
  const client = await certificate(
    dir,
    'client',
    '/CN=arkime-kafka-indexer',
    ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'],
    ca,
  );

  // Passwords go to openssl through files, never on its command line.
  const clientKeyPassphrase = randomBytes(12).toString('hex');
  const brokerKeystorePassword = randomBytes(12).toString('hex');
  const clientPass = join(dir, 'client.pass');
  const brokerPass = join(dir, 'broker.pass');
  writeFileSync(clientPass, clientKeyPassphrase, { mode: 0o600 });
  writeFileSync(brokerPass, brokerKeystorePassword, { mode: 0o600 });

  const clientKey = join(dir, 'client.encrypted.key');
  await openssl(
    [
      'pkcs8',
      '-topk8',
      '-in',
      client.key,
      '-v2',
      'aes-256-cbc',
      '-passout',
      `file:${clientPass}`,
      '-out',
      clientKey,
    ],
    'encrypting the client key',
  );
  const brokerKeystore = join(dir, 'broker.p12');
  await openssl(
    [
      'pkcs12',
      '-export',
      '-in',
      broker.cert,
      '-inkey',
      broker.key,
      '-certfile',
      ca.cert,
      '-name',
      'broker',
    ].concat(['-passout', `file:${brokerPass}`, '-out', brokerKeystore]),
    'the broker keystore',
  );
  return {
    ca: ca.cert,
    otherCa: other.cert,
    clientCert: client.cert,
    clientKey,
    clientKeyPassphrase,
    clientKeyPlain: client.key,
    serverCert: broker.cert,
    serverKey: broker.key,
    brokerKeystore,
    brokerKeystorePassword,
  };
}

/**
 * server.properties for SSL listeners: the broker's PKCS12 keystore, and the CA (PEM) as the
 * truststore that client certificates are checked against.
 */
export function brokerSslProperties(certificates: Certificates): Record<string, string> {
  return {
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': certificates.brokerKeystore,
    'ssl.keystore.password': certificates.brokerKeystorePassword,
    'ssl.key.password': certificates.brokerKeystorePassword,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certificates.ca,
  };
}
