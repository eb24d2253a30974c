import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  authorization,
  CloudIdError,
  decodeCloudId,
  displayUrl,
  nodeUrls,
  serviceProblem,
} from '../../src/search/nodes.js';

function urls(elasticService: string[], elasticServicePort = 9200, elasticUseHttps = false): string[] {
  return nodeUrls({ elasticService, elasticServicePort, elasticUseHttps, elasticCloudId: '' }).map(
    (url) => url.href,
  );
}

describe('nodeUrls', () => {
  test('a host alone gets ELASTIC_SERVICE_PORT and http, as in the Go indexer', () => {
    assert.deepEqual(urls(['es-1'], 9200), ['http://es-1:9200/']);
    assert.deepEqual(urls(['10.0.0.5'], 9201), ['http://10.0.0.5:9201/']);
  });

  test('ELASTIC_USE_HTTPS turns a host alone into https with the configured port', () => {
    assert.deepEqual(urls(['es-1'], 9200, true), ['https://es-1:9200/']);
  });

  test('host:port keeps its own port', () => {
    assert.deepEqual(urls(['es-1:9243'], 9200), ['http://es-1:9243/']);
  });

  test('a full URL keeps its scheme and port, whatever ELASTIC_USE_HTTPS says', () => {
    assert.deepEqual(urls(['https://es-1:9243'], 9200, false), ['https://es-1:9243/']);
    assert.deepEqual(urls(['http://es-1:9201'], 9200, true), ['http://es-1:9201/']);
  });

  test("a URL naming its scheme's default port keeps that port", () => {
    // new URL() drops :443 for https and :80 for http; it must not be replaced by ELASTIC_SERVICE_PORT.
    assert.deepEqual(urls(['https://es-1:443'], 9200), ['https://es-1/']);
    assert.deepEqual(urls(['es-1:80'], 9200), ['http://es-1/']);
  });

  test('a URL without a port gets ELASTIC_SERVICE_PORT', () => {
    assert.deepEqual(urls(['https://es-1'], 9200), ['https://es-1:9200/']);
  });

  test('a path prefix (a proxy) is kept, without its trailing slash', () => {
    const [url] = nodeUrls({
      elasticService: ['https://proxy:8443/es/'],
      elasticServicePort: 9200,
      elasticUseHttps: false,
      elasticCloudId: '',
    });
    assert.equal(url?.origin, 'https://proxy:8443');
    assert.equal(url?.pathname, '/es');
  });

  test('an IPv6 literal with a port keeps it', () => {
    assert.deepEqual(urls(['[::1]:9201'], 9200), ['http://[::1]:9201/']);
  });

  test('an IPv6 literal without a port gets ELASTIC_SERVICE_PORT', () => {
    assert.deepEqual(urls(['[::1]'], 9200), ['http://[::1]:9200/']);
    assert.deepEqual(urls(['http://[2001:db8::1]'], 9200), ['http://[2001:db8::1]:9200/']);
  });

  test('digits in a password are not taken for a port', () => {
    assert.deepEqual(urls(['http://user:1234@es-1'], 9200), ['http://user:1234@es-1:9200/']);
  });

  test('every host of the list becomes a node, in order', () => {
    assert.deepEqual(urls(['es-1', 'es-2:9201', 'https://es-3:9243'], 9200), [
      'http://es-1:9200/',
      'http://es-2:9201/',
      'https://es-3:9243/',
    ]);
  });
});

describe('authorization', () => {
  const none = { elasticApiKey: '', elasticServiceToken: '', elasticUsername: '', elasticPassword: '' };

  test('no credentials, no header', () => {
    assert.equal(authorization(none), undefined);
  });

  test('a user and password give Basic with base64 of user:password', () => {
    const header = authorization({ ...none, elasticUsername: 'indexer', elasticPassword: 'p:ss' });
    assert.equal(header, `Basic ${Buffer.from('indexer:p:ss').toString('base64')}`);
  });

  test('a service token gives Bearer and wins over basic', () => {
    const header = authorization({
      ...none,
      elasticServiceToken: 'tok',
      elasticUsername: 'u',
      elasticPassword: 'p',
    });
    assert.equal(header, 'Bearer tok');
  });

  test('an API key gives ApiKey and wins over everything else', () => {
    const header = authorization({
      elasticApiKey: 'a2V5',
      elasticServiceToken: 'tok',
      elasticUsername: 'u',
      elasticPassword: 'p',
    });
    assert.equal(header, 'ApiKey a2V5');
  });

  test('a password without a user sends nothing', () => {
    assert.equal(authorization({ ...none, elasticPassword: 'p' }), undefined);
  });
});

const cloudId = (decoded: string, name = 'arkime-prod'): string =>
  `${name}:${Buffer.from(decoded).toString('base64')}`;

describe('decodeCloudId', () => {
  test("Elastic's published example: https://<es_uuid>.<host> on 443", () => {
    const id =
      'staging:dXMtZWFzdC0xLmF3cy5mb3VuZC5pbyRjZWM2ZjI2MWE3NGJmMjRjZTMzYmI4ODExYjg0Mjk0ZiRjNmMyY2E2ZDA0MjI0OWFmMGNjN2Q3YTllOTYyNTc0Mw==';
    const url = decodeCloudId(id);
    assert.equal(url.protocol, 'https:');
    assert.equal(url.hostname, 'cec6f261a74bf24ce33bb8811b84294f.us-east-1.aws.found.io');
    assert.equal(url.port, ''); // 443, the https default
  });

  test('a port after the host is the port of the endpoint', () => {
    const url = decodeCloudId(cloudId('eastus2.azure.elastic-cloud.com:9243$59ef636c$a8b109c0'));
    assert.equal(url.href, 'https://59ef636c.eastus2.azure.elastic-cloud.com:9243/');
  });

  test("a port after the Elasticsearch id wins over the host's", () => {
    const url = decodeCloudId(cloudId('example.com:9243$abc:9244$def:9245'));
    assert.equal(url.href, 'https://abc.example.com:9244/');
  });

  test('the Kibana id may be missing; the deployment name may hold colons', () => {
    assert.equal(decodeCloudId(cloudId('example.com$abc', 'a:b')).href, 'https://abc.example.com/');
  });

  test('nodeUrls takes the Cloud ID instead of ELASTIC_SERVICE', () => {
    const [url, ...rest] = nodeUrls({
      elasticService: [],
      elasticServicePort: 9200,
      elasticUseHttps: false,
      elasticCloudId: cloudId('example.com:9243$abc$def'),
    });
    assert.equal(url?.href, 'https://abc.example.com:9243/');
    assert.equal(rest.length, 0);
  });

  for (const [what, id, why] of [
    ['no name', Buffer.from('example.com$abc$def').toString('base64'), 'expected "<name>:<base64>"'],
    ['nothing after the colon', 'name:', 'not base64'],
    ['not base64', 'name:not base64!', 'not base64'],
    ['no $ in the decoded value', cloudId('example.com'), 'no "$"'],
    ['no Elasticsearch id', cloudId('example.com$$def'), 'no Elasticsearch id'],
    ['no host', cloudId('$abc$def'), 'does not start with a host'],
    ['a port out of range', cloudId('example.com:70000$abc$def'), 'port 70000 is out of range'],
    ['a port that is not a number', cloudId('example.com:https$abc$def'), 'does not start with a host'],
  ] as const) {
    test(`malformed (${what}): one line naming ELASTIC_CLOUD_ID`, () => {
      assert.throws(
        () => decodeCloudId(id),
        (error: unknown) =>
          error instanceof CloudIdError &&
          error.message.startsWith('ELASTIC_CLOUD_ID is not a valid Cloud ID: ') &&
          error.message.includes(why) &&
          !error.message.includes('\n'),
      );
    });
  }
});

describe('addresses as they may be shown', () => {
  test('displayUrl keeps scheme, host, port and path, never the credentials', () => {
    const [url] = nodeUrls({
      elasticService: ['https://indexer:s3cret@es-1:9243/prefix'],
      elasticServicePort: 9200,
      elasticUseHttps: false,
      elasticCloudId: '',
    });
    assert.equal(displayUrl(url!), 'https://es-1:9243/prefix');
  });

  test('serviceProblem names a bad entry with its password masked', () => {
    assert.equal(serviceProblem('es-1', 9200), undefined);
    assert.equal(serviceProblem('https://u:p@es-1:9243', 9200), undefined);
    const problem = serviceProblem('http://indexer:s3cret@es 1:9200', 9200);
    assert.equal(
      problem,
      'ELASTIC_SERVICE entry "http://***@es 1:9200" is not valid: expected a host, host:port or an http(s) URL',
    );
    assert.match(serviceProblem('ftp://es-1', 9200) ?? '', /"ftp:\/\/es-1" is not valid/);
  });
});
