// Amazon OpenSearch Service with IAM, without AWS: the indexer signs with SigV4 and talks to a
// local verifying proxy (stack/sigv4-proxy.ts, a stand-in for the domain's front door, as issue
// 28 allows) that checks every signature with the independent `aws4` package and forwards to a
// real OpenSearch node of this file's own. Credentials come from the real AWS chain: environment
// variables here, and for the rotation case a local stand-in of the ECS credentials endpoint
// (stack/aws-stand-ins.ts). The corpus in all three formats, gzip on and off; a node restart
// whose retries are signed anew; a wrong secret key said in one line; keys that expire mid-run.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { arkimeMessages, readSessions, type ArkimeFormat } from '../../stack/arkime.js';
import { AwsStandIns, newKey } from '../../stack/aws-stand-ins.js';
import { SearchNode } from '../../stack/search-node.js';
import { SigV4Proxy, type ProxyKey, type SeenRequest } from '../../stack/sigv4-proxy.js';
import { isolatedAws, keyEnv } from '../helpers/aws.js';
import { indexerRun, stopCleanly } from '../helpers/indexer.js';
import { ownOpenSearch, required, useStack } from '../helpers/stack.js';

const region = 'eu-west-1';

// One OpenSearch node of the file's own (the restart case stops it) and one proxy for every case.
let bootstrap: string;
let node: SearchNode;
let proxy: SigV4Proxy;
after(() => proxy?.stop());
after(() => node?.stop());
const days = readSessions().filter((s) => /-(250124|231114)$/.test(s.index));

before(async () => {
  bootstrap = required((await useStack('kafka')).kafka, 'kafka').bootstrap;
  node = await SearchNode.create({ ...ownOpenSearch('sigv4'), nodeName: 'sigv4' });
  await node.start();
  proxy = new SigV4Proxy(node.url, region);
  await proxy.start();
});

const signingEnv = (): Record<string, string> => ({
  ELASTIC_SERVICE: proxy.url,
  ELASTIC_AWS_SIGV4: 'true',
  ELASTIC_AWS_SIGV4_REGION: region,
  ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '500ms',
  ...isolatedAws,
});

/** A key of the test's own, allowed by the proxy, so that its requests can be told apart. */
function allowedKey(): ProxyKey {
  const key = newKey(3_600_000);
  proxy.allow(key);
  return key;
}

const seenWith = (key: ProxyKey): SeenRequest[] =>
  proxy.seen.filter((s) => s.accessKeyId === key.accessKeyId);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('SigV4 through a verifying proxy: formats, gzip, a wrong secret', { concurrency: true }, () => {
  const cases: { format: ArkimeFormat; gzip: boolean; whole?: true }[] = [
    { format: 'bulk', gzip: true, whole: true },
    { format: 'bulk', gzip: false },
    { format: 'bulk1', gzip: true },
    { format: 'bulk1', gzip: false },
    { format: 'doc', gzip: true },
    { format: 'doc', gzip: false },
  ];
  for (const { format, gzip, whole } of cases) {
    const what = whole ? 'the whole corpus' : 'two days of the corpus';
    test(`${format}, gzip ${gzip ? 'on' : 'off'}: ${what} indexed, every request verified`, async (t) => {
      const sessions = whole ? readSessions() : days;
      const name = `arkime_sigv4_${format}`;
      const run = await indexerRun(t, { bootstrap, url: node.url, name, partitions: 2 });
      await run.produce(arkimeMessages(sessions, format, run.prefix));
      const key = allowedKey();
      const indexer = await run.start({
        ...signingEnv(),
        ...keyEnv(key),
        ELASTIC_CLIENT_COMPRESS_REQUESTS: String(gzip),
        ELASTIC_INDEXER_INSTANCES: '2',
      });
      await indexer.waitForMetric('indexed_documents_total', (n) => n >= sessions.length, '', 120_000);
      await run.waitAllCommitted(indexer);
      await stopCleanly(indexer);
      assert.equal((await run.documents()).length, sessions.length);
      await run.assertNoFailureRecords();
      const seen = seenWith(key);
      const bulks = seen.filter((s) => s.method === 'POST' && s.path.startsWith('/_bulk'));
      assert.ok(bulks.length > 0 && bulks.every((s) => s.verdict === 'accepted'));
      assert.deepEqual(
        seen.filter((s) => s.verdict !== 'accepted'),
        [],
      );
    });
  }

  test('a wrong secret key: one clear line, nothing committed, the canonical request never shown', async (t) => {
    const run = await indexerRun(t, { bootstrap, url: node.url, name: 'arkime_sigv4_wrong' });
    await run.produce(arkimeMessages(days.slice(0, 20), 'bulk', run.prefix));
    const key = allowedKey();
    const wrong = { ...key, secretAccessKey: `${key.secretAccessKey}x` };
    const indexer = await run.start({ ...signingEnv(), ...keyEnv(wrong) });
    const refusals = (): string[] =>
      indexer.output.split('\n').filter((l) => /refused the request signature/.test(l));
    await indexer.waitFor('the refusal said', () => refusals().length > 0);
    await indexer.waitFor(
      'bulks retried',
      () => seenWith(key).filter((s) => s.method === 'POST').length >= 5,
    );
    assert.equal(refusals().length, 1, indexer.output.slice(-3000));
    assert.match(
      refusals()[0] as string,
      /The request signature we calculated does not match the signature you provided\. Check the AWS secret key, ELASTIC_AWS_SIGV4_REGION and the clock/,
    );
    assert.ok(seenWith(key).every((s) => s.verdict === 'mismatch'));
    assert.ok(
      !indexer.output.includes('Canonical String'),
      'the canonical request AWS echoes is never shown',
    );
    assert.ok(!indexer.output.includes(key.sessionToken as string), 'the session token is never shown');
    assert.ok(
      (await run.committed()).every((c) => c <= 0n),
      'nothing committed',
    );
    await indexer.stop('SIGKILL');
  });
});

describe('SigV4 through a verifying proxy: a node restart, expiring keys', () => {
  test('the node behind restarts: the retries are signed anew and every session is indexed', async (t) => {
    const run = await indexerRun(t, { bootstrap, url: node.url, name: 'arkime_sigv4_restart' });
    const messages = arkimeMessages(days, 'bulk1', run.prefix);
    const half = Math.floor(messages.length / 2);
    await run.produce(messages.slice(0, half));
    const key = allowedKey();
    const indexer = await run.start({ ...signingEnv(), ...keyEnv(key) });
    await indexer.waitForMetric('indexed_documents_total', (n) => n === half);
    await node.stop();
    const stoppedAt = Date.now();
    await run.produce(messages.slice(half));
    const triesSince = (): SeenRequest[] =>
      seenWith(key).filter((s) => s.method === 'POST' && (s.signedAt ?? 0) >= stoppedAt - 1000);
    await indexer.waitFor('bulks tried while the node is down', () => triesSince().length >= 4);
    await sleep(1500);
    await node.start();
    await indexer.waitForMetric('indexed_documents_total', (n) => n === messages.length, '', 120_000);
    await run.waitAllCommitted(indexer);
    await stopCleanly(indexer);
    // Each try signed when it was sent: the signing times move on with the clock.
    const times = new Set(triesSince().map((s) => s.signedAt));
    assert.ok(times.size >= 2, JSON.stringify(triesSince().slice(0, 5)));
    assert.deepEqual(
      seenWith(key).filter((s) => s.verdict !== 'accepted'),
      [],
    );
    assert.equal((await run.documents()).length, messages.length);
    await run.assertNoFailureRecords();
  });

  test('keys expire mid-run (ECS credentials stand-in): refreshed, resent, nothing fails', async (t) => {
    // The proxy expires each key 3 s after it is issued while the chain is told an hour: only the
    // domain's "is expired" answer can make the indexer fetch new credentials (forceRefresh).
    const issued: string[] = [];
    const standIns = new AwsStandIns({
      region,
      lifetimeMs: 3_600_000,
      issued: (key) => {
        issued.push(key.accessKeyId);
        proxy.allow({ ...key, expiresAt: Date.now() + 3000 });
      },
    });
    await standIns.start();
    t.after(() => standIns.stop());
    const run = await indexerRun(t, { bootstrap, url: node.url, name: 'arkime_sigv4_rotation' });
    const messages = arkimeMessages(days, 'bulk1', run.prefix);
    const indexer = await run.start({
      ...signingEnv(),
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${standIns.url}/ecs/credentials`,
    });
    // In waves over about ten seconds: several keys in turn.
    const waves = 5;
    const size = Math.ceil(messages.length / waves);
    for (let i = 0; i < waves; i++) {
      await run.produce(messages.slice(i * size, (i + 1) * size));
      const target = Math.min((i + 1) * size, messages.length);
      await indexer.waitForMetric('indexed_documents_total', (n) => n >= target);
      await sleep(2000);
    }
    await run.waitAllCommitted(indexer);
    assert.equal(await indexer.metric('session_index_failure_total'), 0);
    await stopCleanly(indexer);
    const mine = proxy.seen.filter((s) => issued.includes(s.accessKeyId ?? ''));
    assert.ok(issued.length >= 3, `keys issued: ${issued.length}`);
    assert.ok(
      mine.some((s) => s.verdict === 'expired'),
      'some request met an expired key',
    );
    assert.deepEqual(
      mine.filter((s) => s.verdict !== 'accepted' && s.verdict !== 'expired'),
      [],
    );
    await run.assertNoFailureRecords();
    assert.equal((await run.documents()).length, days.length);
    console.log(
      `# rotation: ${issued.length} keys issued, ${mine.filter((s) => s.verdict === 'expired').length} requests met an expired key and were resent`,
    );
  });
});
