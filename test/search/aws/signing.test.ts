import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import aws4 from 'aws4';
import { awsRefusal, firstSentence } from '../../../src/search/aws/refusal.js';
import { profileRegion, signingRegion } from '../../../src/search/aws/region.js';
import {
  awsSigner,
  emptyBodyHash,
  payloadHash,
  splitQuery,
  type AwsCredentials,
} from '../../../src/search/aws/signing.js';

interface Vectors {
  credentials: AwsCredentials;
  region: string;
  service: string;
  timestamp: string;
  cases: {
    name: string;
    method: string;
    url: string;
    headers: Record<string, string>;
    body: string;
    authorization: string;
  }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/sigv4/vectors.json', import.meta.url), 'utf8'),
) as Vectors;

describe('SigV4 signing step', () => {
  for (const c of vectors.cases) {
    test(`AWS test suite: ${c.name} (test/fixtures/sigv4)`, async () => {
      const signer = awsSigner(vectors.region, vectors.service, () => Promise.resolve(vectors.credentials));
      const node = new URL(c.url);
      const signed = await signer.sign(
        {
          method: c.method,
          node,
          path: node.pathname,
          query: {},
          headers: c.headers,
          body: [Buffer.from(c.body)],
        },
        new Date(vectors.timestamp),
      );
      assert.equal(signed['authorization'], c.authorization);
    });
  }

  test('a gzipped _bulk in several chunks, with a session token, signs as aws4 (an independent implementation) does', async () => {
    const credentials = { ...vectors.credentials, sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN' };
    const body = gzipSync('{"index":{"_index":"arkime_sessions3-260101"}}\n{"a":1}\n');
    const chunks = [body.subarray(0, 10), body.subarray(10)];
    const node = new URL('https://search-arkime-abc.eu-west-1.es.amazonaws.com:443/');
    const headers = {
      'content-type': 'application/x-ndjson',
      'content-length': String(body.length),
      'content-encoding': 'gzip',
    };
    const date = new Date('2026-12-07T10:00:00Z');
    const signer = awsSigner('eu-west-1', 'es', () => Promise.resolve(credentials));
    const { path, query } = splitQuery(
      '/_bulk?timeout=60000ms&filter_path=errors,items.*.status,items.*.error',
    );
    const signed = await signer.sign({ method: 'POST', node, path, query, headers, body: chunks }, date);
    assert.equal(signed['host'], 'search-arkime-abc.eu-west-1.es.amazonaws.com');
    assert.equal(signed['x-amz-security-token'], credentials.sessionToken);
    const theirs = aws4.sign(
      {
        method: 'POST',
        host: signed['host'],
        path: '/_bulk?timeout=60000ms&filter_path=errors,items.*.status,items.*.error',
        service: 'es',
        region: 'eu-west-1',
        headers: {
          ...headers,
          'x-amz-date': signed['x-amz-date'],
          'x-amz-content-sha256': payloadHash([body]),
        },
        body,
      },
      credentials,
    );
    assert.equal(signed['authorization'], theirs.headers?.['Authorization']);
  });

  test('each signing is new: another time, another signature; new credentials are used at once', async () => {
    let key = 'AKID1';
    const signer = awsSigner('us-east-1', 'es', () =>
      Promise.resolve({ accessKeyId: key, secretAccessKey: 's' }),
    );
    const request = {
      method: 'GET',
      node: new URL('http://127.0.0.1:9200'),
      path: '/',
      query: {},
      headers: {},
    };
    const first = await signer.sign(request, new Date('2026-12-07T10:00:00Z'));
    const second = await signer.sign(request, new Date('2026-12-07T10:00:01Z'));
    assert.notEqual(first['authorization'], second['authorization']);
    assert.equal(first['host'], '127.0.0.1:9200');
    assert.equal(first['x-amz-content-sha256'], emptyBodyHash);
    key = 'AKID2';
    assert.match((await signer.sign(request))['authorization'] ?? '', /Credential=AKID2\//);
  });

  test('refresh asks the chain with forceRefresh', async () => {
    const asked: unknown[] = [];
    const signer = awsSigner('us-east-1', 'es', (options) => {
      asked.push(options);
      return Promise.resolve({ accessKeyId: 'a', secretAccessKey: 's' });
    });
    await signer.refresh();
    assert.deepEqual(asked, [{ forceRefresh: true }]);
  });

  test('splitQuery: the path as on the wire, the query as an object (repeated keys as a list)', () => {
    assert.deepEqual(splitQuery('/_nodes/http?filter_path=a,b&x=1&x=2'), {
      path: '/_nodes/http',
      query: { filter_path: 'a,b', x: ['1', '2'] },
    });
    assert.deepEqual(splitQuery('/'), { path: '/', query: {} });
  });
});

describe("AWS's 403 answers", () => {
  const token = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN';
  const mismatch = JSON.stringify({
    message: `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n/_bulk\n\nhost:x\nx-amz-security-token:${token}\n'\n`,
  });

  test('a mismatch keeps only its first sentence: the echoed canonical request (with the token) is gone', () => {
    const refusal = awsRefusal(mismatch);
    assert.equal(refusal.mismatch, true);
    assert.equal(refusal.expired, false);
    assert.equal(
      refusal.body,
      '{"message":"The request signature we calculated does not match the signature you provided."}',
    );
    assert.ok(!refusal.body.includes(token));
  });

  test('expired tokens and signatures ask for new credentials; other bodies pass unchanged', () => {
    assert.equal(
      awsRefusal('{"message":"The security token included in the request is expired"}').expired,
      true,
    );
    assert.equal(
      awsRefusal(
        '{"message":"Signature expired: 20150411T064107Z is now earlier than 20150411T064135Z (20150411T064635Z - 5 min.)"}',
      ).expired,
      true,
    );
    const denied = '{"Message":"User: anonymous is not authorized to perform: es:ESHttpGet"}';
    assert.equal(
      awsRefusal(denied).body,
      '{"message":"User: anonymous is not authorized to perform: es:ESHttpGet"}',
    );
    const cluster = '{"error":{"type":"security_exception","reason":"no permissions"},"status":403}';
    assert.equal(awsRefusal(cluster).body, cluster);
    assert.equal(firstSentence('one line\nsecond'), 'one line');
  });
});

describe('signing region', () => {
  test('the setting, else AWS_REGION, else the profile in the config file', async () => {
    assert.deepEqual(await signingRegion('eu-west-3', { AWS_REGION: 'us-east-1' }), { region: 'eu-west-3' });
    assert.deepEqual(await signingRegion('', { AWS_REGION: 'us-east-1' }), { region: 'us-east-1' });
    const config = '[default]\nregion = us-west-2\n\n[profile arkime]\n# comment\nregion=ap-south-1\n';
    assert.equal(profileRegion(config, 'default'), 'us-west-2');
    assert.equal(profileRegion(config, 'arkime'), 'ap-south-1');
    assert.equal(profileRegion(config, 'other'), undefined);
  });

  test('none found is one line naming the setting', async () => {
    const none = await signingRegion('', {
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    assert.deepEqual(none, {
      error:
        "ELASTIC_AWS_SIGV4_REGION is not set and no region was found (AWS_REGION, the profile's region, the instance metadata): set it to the domain's region",
    });
  });
});
