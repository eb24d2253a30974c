// Each source of the AWS credential chain, end to end: `--check` (which signs every request it
// sends, as the indexer does) against the real OpenSearch of the stack behind the verifying
// proxy (stack/sigv4-proxy.ts). AWS cannot be reached from here, so the sources that are AWS
// endpoints are local stand-ins (stack/aws-stand-ins.ts), as issue 28 allows: the instance
// metadata service (IMDSv2), the ECS container endpoint and STS web identity, each reached
// through the variable AWS documents for it. Environment variables and a shared credentials
// file with a profile are the real thing. The region is found from the setting, AWS_REGION,
// the profile, or the instance metadata, one case each.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AwsStandIns, newKey, type Endpoint } from '../../stack/aws-stand-ins.js';
import { createTopic } from '../../stack/kafka-topics.js';
import { uniqueName } from '../../stack/names.js';
import { SigV4Proxy, type ProxyKey } from '../../stack/sigv4-proxy.js';
import { isolatedAws, keyEnv } from '../helpers/aws.js';
import { runCli } from '../helpers/indexer.js';
import { required, useStack } from '../helpers/stack.js';

const stack = await useStack('kafka', 'opensearch');
const region = 'eu-west-1';

describe('the AWS credential chain, one source at a time', { concurrency: true }, () => {
  const bootstrap = required(stack.kafka, 'kafka').bootstrap;
  const url = required(stack.opensearch, 'opensearch').url;
  const dir = mkdtempSync(join(tmpdir(), 'aki-aws-'));
  let proxy: SigV4Proxy;
  let standIns: AwsStandIns;
  let topic: string;
  /** Every key the stand-ins issued, by endpoint. */
  const issued: { key: ProxyKey; by: Endpoint }[] = [];
  const issuedBy = (by: Endpoint) => (): string[] =>
    issued.filter((i) => i.by === by).map((i) => i.key.accessKeyId);
  after(() => proxy?.stop());
  after(() => standIns?.stop());

  before(async () => {
    proxy = new SigV4Proxy(url, region);
    await proxy.start();
    standIns = new AwsStandIns({
      region,
      lifetimeMs: 3_600_000,
      issued: (key, by) => {
        issued.push({ key, by });
        proxy.allow(key);
      },
    });
    await standIns.start();
    topic = uniqueName('spi');
    await createTopic(bootstrap, topic);
  });

  /** `--check` with `env`: the search lines, and which keys the proxy saw and what it said. */
  async function check(env: Record<string, string>) {
    const before = proxy.seen.length;
    const result = await runCli(['--check'], {
      KAFKA_CONSUMER_BROKERS: bootstrap,
      KAFKA_CONSUMER_TOPIC: topic,
      KAFKA_CONSUMER_GROUP_NAME: uniqueName('indexer'),
      ELASTIC_SERVICE: proxy.url,
      ELASTIC_AWS_SIGV4: 'true',
      ...isolatedAws,
      ...env,
    });
    const seen = proxy.seen.slice(before);
    const search = result.lines.filter((line) => /search cluster/.test(line));
    return { result, search, seen };
  }

  function assertAccepted(outcome: Awaited<ReturnType<typeof check>>, keys: () => string[], source: string) {
    const text = outcome.result.lines.join('\n');
    assert.deepEqual(
      outcome.search.map((line) => line.replace(/: .*/, '')),
      ['✓ search cluster', '✓ search cluster health'],
      text,
    );
    const mine = outcome.seen.filter((s) => keys().includes(s.accessKeyId ?? ''));
    assert.ok(mine.length >= 2, `${source}: the proxy saw its key sign ${mine.length} requests`);
    assert.ok(
      mine.every((s) => s.verdict === 'accepted'),
      JSON.stringify(mine.map((s) => [s.path, s.verdict])),
    );
    console.log(`# ${source}: ${mine.length} requests signed and accepted`);
  }

  test('environment variables (AWS_ACCESS_KEY_ID, …, AWS_SESSION_TOKEN), the region from ELASTIC_AWS_SIGV4_REGION', async () => {
    const key = newKey(3_600_000);
    proxy.allow(key);
    const outcome = await check({ ...keyEnv(key), ELASTIC_AWS_SIGV4_REGION: region });
    assertAccepted(outcome, () => [key.accessKeyId], 'environment');
  });

  test('a shared credentials file with a profile (AWS_PROFILE), the region from that profile', async () => {
    const key = newKey(3_600_000);
    proxy.allow(key);
    const credentials = join(dir, 'credentials');
    const config = join(dir, 'config');
    writeFileSync(
      credentials,
      `[default]\naws_access_key_id = AKIAWRONGDEFAULT\naws_secret_access_key = wrong\n\n[arkime]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\naws_session_token = ${key.sessionToken}\n`,
    );
    writeFileSync(config, `[default]\nregion = us-east-1\n\n[profile arkime]\nregion = ${region}\n`);
    const outcome = await check({
      AWS_PROFILE: 'arkime',
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_CONFIG_FILE: config,
    });
    assertAccepted(outcome, () => [key.accessKeyId], 'shared credentials file, profile arkime');
  });

  test('web identity (EKS IRSA): a token file and a role, exchanged at an STS stand-in; the region from AWS_REGION', async () => {
    const tokenFile = join(dir, 'web-identity-token');
    writeFileSync(tokenFile, 'eyJhbGciOiJSUzI1NiJ9.stand-in.token');
    const asked = standIns.asked.sts;
    const outcome = await check({
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/arkime-indexer',
      AWS_ROLE_SESSION_NAME: 'arkime-kafka-indexer',
      AWS_ENDPOINT_URL_STS: standIns.url,
      AWS_REGION: region,
    });
    assert.ok(standIns.asked.sts > asked, 'STS was asked');
    assertAccepted(outcome, issuedBy('sts'), 'web identity (STS stand-in)');
  });

  test('ECS container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI on loopback)', async () => {
    const asked = standIns.asked.ecs;
    const outcome = await check({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${standIns.url}/ecs/credentials`,
      ELASTIC_AWS_SIGV4_REGION: region,
    });
    assert.ok(standIns.asked.ecs > asked, 'the container endpoint was asked');
    assertAccepted(outcome, issuedBy('ecs'), 'ECS container credentials (stand-in)');
  });

  test('EC2 instance metadata with IMDSv2 (token, role, credentials), the region from the metadata too', async () => {
    const asked = standIns.asked.imds;
    const outcome = await check({
      AWS_EC2_METADATA_DISABLED: 'false',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: standIns.url,
    });
    assert.ok(standIns.asked.imds > asked, 'the instance metadata was asked');
    assertAccepted(outcome, issuedBy('imds'), 'IMDSv2 (stand-in)');
  });

  test('no region anywhere: start-up stops with one line naming ELASTIC_AWS_SIGV4_REGION (exit 2)', async () => {
    const key = newKey(3_600_000);
    const { result } = await check(keyEnv(key));
    assert.equal(result.code, 2);
    assert.deepEqual(result.lines, [
      "✗ configuration: ELASTIC_AWS_SIGV4_REGION is not set and no region was found (AWS_REGION, the profile's region, the instance metadata): set it to the domain's region",
    ]);
  });
});
