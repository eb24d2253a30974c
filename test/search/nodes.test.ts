import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authorization, nodeUrls } from '../../src/search/nodes.js';

function urls(elasticService: string[], elasticServicePort = 9200, elasticUseHttps = false): string[] {
  return nodeUrls({ elasticService, elasticServicePort, elasticUseHttps }).map((url) => url.href);
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
