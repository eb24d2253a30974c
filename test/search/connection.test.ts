// The search TLS and credential rule, on real certificate files made by openssl; no server.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  searchSecurity,
  SearchSecurityError,
  validateSearchConnection,
  type SearchConnectionConfig,
} from '../../src/search/connection.js';
import { makeCertificates, type Certificates } from '../../stack/certificates.js';

const base: SearchConnectionConfig = {
  elasticService: ['es-1'],
  elasticServicePort: 9200,
  elasticUseHttps: false,
  elasticCloudId: '',
  elasticSslCaLocation: '',
  elasticUsername: '',
  elasticPassword: '',
  elasticApiKey: '',
  elasticServiceToken: '',
  elasticAwsSigv4: false,
  elasticAwsSigv4Service: 'es',
};

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const cloudId = `prod:${Buffer.from('example.com:9243$abc$def').toString('base64')}`;

describe('search connection settings', () => {
  let dir: string;
  let certs: Certificates;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aki-search-connection-'));
    certs = await makeCertificates(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('nothing set: plain http, no Authorization header, the system CAs', () => {
    assert.deepEqual(validateSearchConnection(base), []);
    const security = searchSecurity(base);
    assert.equal(security.authorization(new URL('http://es-1:9200')), undefined);
    assert.equal(security.method(), 'none');
    assert.deepEqual(security.tls, { rejectUnauthorized: true });
  });

  test('ELASTIC_SSL_CA_LOCATION: its certificates replace the system CAs, verification stays on', () => {
    const config = { ...base, elasticUseHttps: true, elasticSslCaLocation: certs.ca };
    assert.deepEqual(validateSearchConnection(config), []);
    const { tls } = searchSecurity(config);
    assert.equal(tls.rejectUnauthorized, true);
    assert.deepEqual(tls.ca, readFileSync(certs.ca));
  });

  test('a CA file that cannot be read, or holds no certificate: named with its path', () => {
    const missing = join(dir, 'missing.pem');
    assert.deepEqual(
      validateSearchConnection({ ...base, elasticUseHttps: true, elasticSslCaLocation: missing }),
      [`ELASTIC_SSL_CA_LOCATION="${missing}" cannot be read: no such file`],
    );
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    assert.deepEqual(
      validateSearchConnection({ ...base, elasticUseHttps: true, elasticSslCaLocation: notPem }),
      [`ELASTIC_SSL_CA_LOCATION="${notPem}" does not hold a PEM certificate`],
    );
    assert.throws(
      () => searchSecurity({ ...base, elasticUseHttps: true, elasticSslCaLocation: notPem }),
      SearchSecurityError,
    );
  });

  test('a CA while every node is addressed over http: refused, it would protect nothing', () => {
    assert.deepEqual(validateSearchConnection({ ...base, elasticSslCaLocation: certs.ca }), [
      'ELASTIC_SSL_CA_LOCATION is set but no search node is addressed over https: set ELASTIC_USE_HTTPS=true or use https:// addresses',
    ]);
    const https = { ...base, elasticService: ['https://es-1:9243'], elasticSslCaLocation: certs.ca };
    assert.deepEqual(validateSearchConnection(https), []);
  });

  test('each way to authenticate gives its header and names its variable, never its value', () => {
    const node = new URL('https://es-1:9200');
    const cases = [
      [{ elasticApiKey: 'a2V5OnNlY3JldA==' }, 'ApiKey a2V5OnNlY3JldA==', 'ApiKey (ELASTIC_API_KEY)'],
      [{ elasticServiceToken: 'AAEAAWVs' }, 'Bearer AAEAAWVs', 'Bearer (ELASTIC_SERVICE_TOKEN)'],
      [
        { elasticUsername: 'indexer', elasticPassword: 'p:ss' },
        basic('indexer', 'p:ss'),
        'Basic (ELASTIC_USERNAME/ELASTIC_PASSWORD)',
      ],
      [
        { elasticService: ['https://indexer:p%40ss@es-1:9200'] as string[] },
        basic('indexer', 'p@ss'),
        'Basic (user:password@ in ELASTIC_SERVICE)',
      ],
    ] as const satisfies readonly [Partial<SearchConnectionConfig>, string, string][];
    for (const [settings, header, method] of cases) {
      const config = { ...base, ...settings };
      assert.deepEqual(validateSearchConnection(config), []);
      const security = searchSecurity(config);
      assert.equal(security.authorization(node), header);
      assert.equal(security.method(), method);
    }
  });

  test("each seed address's own user:password@; a discovered node gets the first seed's", () => {
    const security = searchSecurity({
      ...base,
      elasticService: ['https://a:one@es-1:9200', 'https://b:two@es-2:9200'],
    });
    const [first, second] = ['https://a:one@es-1:9200', 'https://b:two@es-2:9200'].map((u) => new URL(u));
    assert.equal(security.authorization(first), basic('a', 'one'));
    assert.equal(security.authorization(second), basic('b', 'two'));
    assert.equal(security.authorization(new URL('https://10.0.0.9:9200')), basic('a', 'one'));
  });

  test('more than one way to authenticate: refused, naming the variables', () => {
    assert.deepEqual(
      validateSearchConnection({ ...base, elasticApiKey: 'k', elasticUsername: 'u', elasticPassword: 'p' }),
      ['ELASTIC_API_KEY and ELASTIC_USERNAME are both set: choose one way to authenticate'],
    );
    assert.deepEqual(
      validateSearchConnection({ ...base, elasticService: ['https://u:p@es-1'], elasticServiceToken: 't' }),
      [
        'ELASTIC_SERVICE_TOKEN and a user:password@ in ELASTIC_SERVICE are both set: choose one way to authenticate',
      ],
    );
  });

  test('half of basic authentication: refused, naming what is missing', () => {
    assert.deepEqual(validateSearchConnection({ ...base, elasticPassword: 'secret-password' }), [
      'ELASTIC_PASSWORD is set but ELASTIC_USERNAME is not: basic authentication needs both',
    ]);
    assert.deepEqual(validateSearchConnection({ ...base, elasticUsername: 'indexer' }), [
      'ELASTIC_USERNAME is set but ELASTIC_PASSWORD is not: basic authentication needs both',
    ]);
  });

  test('ELASTIC_CLOUD_ID: replaces ELASTIC_SERVICE; both set, or malformed, is one line each', () => {
    const cloud = { ...base, elasticService: [], elasticCloudId: cloudId };
    assert.deepEqual(validateSearchConnection(cloud), []);
    assert.deepEqual(validateSearchConnection({ ...cloud, elasticService: ['es-1'] }), [
      'ELASTIC_CLOUD_ID and ELASTIC_SERVICE are both set: set one of them',
    ]);
    const [malformed] = validateSearchConnection({ ...cloud, elasticCloudId: 'prod:%%%' });
    assert.equal(
      malformed,
      'ELASTIC_CLOUD_ID is not a valid Cloud ID: the part after the last ":" is not base64',
    );
    // The Cloud ID is https: a CA for it is used.
    assert.deepEqual(validateSearchConnection({ ...cloud, elasticSslCaLocation: certs.ca }), []);
  });

  test('an invalid address is named with its password masked', () => {
    const errors = validateSearchConnection({
      ...base,
      elasticService: ['es-1', 'http://u:hunter22@bad host'],
    });
    assert.deepEqual(errors, [
      'ELASTIC_SERVICE entry "http://***@bad host" is not valid: expected a host, host:port or an http(s) URL',
    ]);
  });

  test('ELASTIC_AWS_SIGV4: refused with another authentication, Elastic Cloud, or Serverless (aoss)', () => {
    const aws = { ...base, elasticAwsSigv4: true };
    assert.deepEqual(validateSearchConnection(aws), []);
    assert.deepEqual(validateSearchConnection({ ...aws, elasticApiKey: 'k' }), [
      'ELASTIC_AWS_SIGV4 and ELASTIC_API_KEY are both set: choose one way to authenticate',
    ]);
    assert.deepEqual(validateSearchConnection({ ...aws, elasticService: ['https://u:p@es-1'] }), [
      'ELASTIC_AWS_SIGV4 and a user:password@ in ELASTIC_SERVICE are both set: choose one way to authenticate',
    ]);
    assert.deepEqual(validateSearchConnection({ ...aws, elasticService: [], elasticCloudId: cloudId }), [
      'ELASTIC_AWS_SIGV4 and ELASTIC_CLOUD_ID are both set: choose one way to authenticate',
    ]);
    assert.deepEqual(validateSearchConnection({ ...aws, elasticAwsSigv4Service: 'aoss' }), [
      'ELASTIC_AWS_SIGV4_SERVICE=aoss: OpenSearch Serverless is not supported, because Arkime itself does not support it; use a managed domain (es)',
    ]);
    const security = searchSecurity(aws);
    assert.equal(security.authorization(), undefined);
    assert.equal(security.method(), 'AWS SigV4 (ELASTIC_AWS_SIGV4)');
  });
});
