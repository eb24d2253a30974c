import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import {
  NodeDiscovery,
  nodesFromInfo,
  parsePublishAddress,
  type DiscoveryDeps,
} from '../../src/search/discovery.js';
import { NodePool } from '../../src/search/node-pool.js';
import { createLogger } from '../../src/telemetry/logger.js';

// Real answers to the query discovery sends; see test/fixtures/responses/README.md.
function captured(server: string): { status: number; body: string } {
  const url = new URL(`../../../test/fixtures/responses/${server}-nodes-http.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as { status: number; body: string };
}

describe('parsePublishAddress', () => {
  test('ip:port', () => {
    assert.deepEqual(parsePublishAddress('10.0.0.5:9200'), { host: '10.0.0.5', port: 9200 });
  });

  test('hostname/ip:port: the name, which a TLS certificate names', () => {
    assert.deepEqual(parsePublishAddress('es-1.example/10.0.0.5:9200'), { host: 'es-1.example', port: 9200 });
    assert.deepEqual(parsePublishAddress('localhost/127.0.0.1:45469'), { host: 'localhost', port: 45469 });
  });

  test('IPv6 in brackets, with or without a name', () => {
    assert.deepEqual(parsePublishAddress('[::1]:9200'), { host: '[::1]', port: 9200 });
    assert.deepEqual(parsePublishAddress('[fe80::1%eth0]:9201'), { host: '[fe80::1%eth0]', port: 9201 });
    assert.deepEqual(parsePublishAddress('es-6/[2001:db8::5]:9200'), { host: 'es-6', port: 9200 });
  });

  test('anything else is not an address', () => {
    for (const bad of ['', '10.0.0.5', '10.0.0.5:', ':9200', '::1:9200', '10.0.0.5:99999', 'a/b/c:1x']) {
      assert.equal(parsePublishAddress(bad), undefined, bad);
    }
  });
});

describe('nodesFromInfo', () => {
  const seed = new URL('https://elastic:s3cret@seed.example:9243/prefix');

  for (const server of ['elasticsearch', 'opensearch']) {
    test(`${server}: both nodes of the real two-node cluster, named as published`, () => {
      const answer = captured(server);
      assert.equal(answer.status, 200);
      const urls = nodesFromInfo(answer.body, new URL('http://127.0.0.1:9200'));
      assert.equal(urls.length, 2);
      const hosts = urls.map((u) => u.hostname).sort();
      assert.deepEqual(hosts, ['127.0.0.1', 'localhost']);
      for (const url of urls) assert.match(url.origin, /^http:\/\/(127\.0\.0\.1|localhost):\d+$/);
    });
  }

  test("discovered nodes keep the seed's scheme and credentials, not its path", () => {
    const body = JSON.stringify({
      nodes: { x: { roles: ['data'], http: { publish_address: '10.0.0.7:9200' } } },
    });
    const [url] = nodesFromInfo(body, seed);
    assert.equal(url?.href, 'https://elastic:s3cret@10.0.0.7:9200/');
  });

  test('dedicated master nodes and nodes without HTTP are skipped', () => {
    const body = JSON.stringify({
      nodes: {
        m: { roles: ['master'], http: { publish_address: '10.0.0.1:9200' } },
        cm: { roles: ['cluster_manager'], http: { publish_address: '10.0.0.2:9200' } },
        vo: { roles: ['master', 'voting_only'], http: { publish_address: '10.0.0.3:9200' } },
        nohttp: { roles: ['data'] },
        data: { roles: ['data_hot', 'ingest'], http: { publish_address: '10.0.0.4:9200' } },
        coordinating: { roles: [], http: { publish_address: '10.0.0.5:9200' } },
        bad: { roles: ['data'], http: { publish_address: 'nonsense' } },
      },
    });
    assert.deepEqual(
      nodesFromInfo(body, new URL('http://x:9200')).map((u) => u.host),
      ['10.0.0.4:9200', '10.0.0.5:9200'],
    );
  });

  test('an answer without nodes lists none; one that is not JSON throws', () => {
    assert.deepEqual(nodesFromInfo('{}', seed), []);
    assert.throws(() => nodesFromInfo('<html>', seed));
  });
});

function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('debug', destination) };
}

function discoveryWith(
  pool: NodePool,
  fetchNodesInfo: DiscoveryDeps['fetchNodesInfo'],
  maxDeadPercentage = 20,
) {
  const log = capturedLog();
  let reloads = 0;
  const discovery = new NodeDiscovery({
    pool,
    fetchNodesInfo,
    intervalMs: 0,
    checkIntervalMs: 60_000,
    maxDeadPercentage,
    onRuleReload: () => (reloads += 1),
    logger: log.logger,
    now: () => 0,
  });
  return { discovery, log, reloads: () => reloads };
}

const listing = (...addresses: string[]) => ({
  status: 200,
  body: JSON.stringify({
    nodes: Object.fromEntries(
      addresses.map((a, i) => [`n${i}`, { roles: ['data'], http: { publish_address: a } }]),
    ),
  }),
});

describe('NodeDiscovery', () => {
  test('applies what the cluster lists', async () => {
    const pool = new NodePool([new URL('http://10.0.0.1:9200')]);
    const { discovery } = discoveryWith(pool, () =>
      Promise.resolve(listing('10.0.0.1:9200', '10.0.0.2:9200')),
    );
    assert.equal(await discovery.discover('start'), true);
    assert.deepEqual(pool.origins, ['http://10.0.0.1:9200', 'http://10.0.0.2:9200']);
  });

  test('a failed discovery keeps the nodes, logs why, and never throws', async () => {
    const pool = new NodePool([new URL('http://10.0.0.1:9200')]);
    for (const fetch of [
      () => Promise.reject(new Error('connect ECONNREFUSED')),
      () => Promise.resolve({ status: 401, body: '{"error":"unauthorized"}' }),
      () => Promise.resolve({ status: 200, body: 'not json' }),
      () => Promise.resolve({ status: 200, body: '{"nodes":{}}' }),
    ]) {
      const { discovery, log } = discoveryWith(pool, fetch);
      assert.equal(await discovery.discover('interval'), false);
      assert.deepEqual(pool.origins, ['http://10.0.0.1:9200']);
      assert.equal(log.lines.at(-1)?.['msg'], 'search node discovery failed; keeping the nodes known so far');
    }
  });

  test('discovery failing again and again warns once, and says when it works again', async () => {
    const pool = new NodePool([new URL('http://10.0.0.1:9200')]);
    let up = false;
    const { discovery, log } = discoveryWith(pool, () =>
      up ? Promise.resolve(listing('10.0.0.1:9200')) : Promise.reject(new Error('connect ECONNREFUSED')),
    );
    for (let i = 0; i < 3; i += 1) await discovery.discover('dead_percentage');
    up = true;
    await discovery.discover('dead_percentage');
    const levels = log.lines.filter((l) => l['level'] !== 20).map((l) => [l['level'], l['msg']]);
    assert.deepEqual(levels, [
      [40, 'search node discovery failed; keeping the nodes known so far'],
      [30, 'search node discovery works again'],
    ]);
  });

  test('one discovery at a time', async () => {
    const pool = new NodePool([new URL('http://10.0.0.1:9200')]);
    let calls = 0;
    let release: () => void = () => undefined;
    const { discovery } = discoveryWith(pool, async () => {
      calls += 1;
      await new Promise<void>((resolve) => (release = resolve));
      return listing('10.0.0.1:9200');
    });
    const first = discovery.discover('start');
    const second = discovery.discover('interval');
    release();
    assert.deepEqual(await Promise.all([first, second]), [true, true]);
    assert.equal(calls, 1);
  });

  test('the dead-percentage rule rediscovers when too many nodes are dead, and counts it', async () => {
    const pool = new NodePool([new URL('http://10.0.0.1:9200'), new URL('http://10.0.0.2:9200')]);
    let calls = 0;
    const { discovery, reloads, log } = discoveryWith(
      pool,
      () => {
        calls += 1;
        return Promise.resolve(listing('10.0.0.1:9200', '10.0.0.2:9200'));
      },
      50,
    );
    await discovery.checkDeadPercentage();
    assert.equal(calls, 0, 'nothing dead: nothing to do');
    pool.failed(pool.pick(0), 0, 0);
    await discovery.checkDeadPercentage();
    assert.equal(calls, 1);
    assert.equal(reloads(), 1);
    assert.ok(log.lines.some((l) => l['msg'] === 'too many dead search nodes: discovering the nodes again'));
  });

  test('below the maximum the rule does nothing', async () => {
    const pool = new NodePool(['1', '2', '3', '4', '5', '6'].map((n) => new URL(`http://10.0.0.${n}:9200`)));
    let calls = 0;
    const { discovery, reloads } = discoveryWith(pool, () => {
      calls += 1;
      return Promise.resolve(listing('10.0.0.1:9200'));
    });
    pool.failed(pool.pick(0), 0, 0); // 1 of 6 dead: 16% < 20%
    await discovery.checkDeadPercentage();
    assert.equal(calls, 0);
    assert.equal(reloads(), 0);
  });
});
