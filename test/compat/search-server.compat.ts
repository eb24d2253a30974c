// The compatibility test: the indexer against one search server release, started by
// test/compat/run.ts for each release of stack/search-versions.ts. Arkime's sessions3 template
// goes in as db.pl installs it (a legacy template), then: --check, the whole corpus in the three
// formats, mapping breakers, a write block, per-item 429s, and the server's real answers captured.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { classifyBulkResponse } from '../../src/search/classify.js';
import { uniqueName } from '../../stack/names.js';
import { todaysIndices } from '../../src/check/arkime.js';
import { call, installTemplate } from '../../stack/search-client.js';
import type { Distribution } from '../../stack/search-install.js';
import { SearchNode } from '../../stack/search-node.js';
import { indexerRun, runCli } from '../helpers/indexer.js';
import {
  corpusReadBackIdentical,
  mappingBreakersToFailureTopic,
  overloadedWritePool,
  rejectionsResentAlone,
  writeBlockWaitedOut,
} from '../helpers/scenarios.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';
import { Capture, captureItemCases, captureMappingRace, captureRejections, captureRoot } from './capture.js';
import { fixturesEnvVar, mappingErrorType, releaseEnvVar } from './results.js';

const release = JSON.parse(process.env[releaseEnvVar] ?? 'null') as {
  distribution: Distribution;
  version: string;
} | null;
if (release === null) throw new Error(`${releaseEnvVar} is not set: run this through test/compat/run.js`);
const { distribution, version } = release;

const mappingError = mappingErrorType(distribution, version);

describe(`${distribution} ${version}`, () => {
  let servers: KafkaAndSearch;
  const capture = new Capture(distribution, version);
  before(async () => (servers = await kafkaAnd(distribution)));
  after(() => {
    const dir = process.env[fixturesEnvVar];
    if (dir !== undefined && dir !== '') capture.save(dir);
  });

  test("--check against it, with Arkime's template installed as db.pl does: all ✓", async (t) => {
    const run = await indexerRun(t, { ...servers, name: 'arkime_check', template: 'legacy' });
    // The allowed patterns that name sessions3 are the ones checked, as for a site with its own
    // Arkime prefix; patterns of that shape get Arkime's checks too: the schema version, today's index (here
    // created, open and writable, so that each release's settings API answers for it).
    const sessions = `${run.prefix.replaceAll('-', '_')}_sessions3`;
    t.after(await installTemplate(servers.url, sessions, 'legacy'));
    const today = (todaysIndices(`${sessions}-*`, new Date())[0] ?? '').replace(/\*$/, '');
    await call('PUT', `${servers.url}/${today}`);
    const { code, lines } = await runCli(['--check'], {
      ...run.env,
      ELASTIC_ALLOWED_INDICES: `${run.prefix}-*,${sessions}-*`,
    });
    assert.equal(code, 0, lines.join('\n'));
    assert.ok(
      lines.every((line) => line.startsWith('✓ ')),
      lines.join('\n'),
    );
    // The integ-test builds of Elasticsearch 8 and 9 serve no GET /: the check names the version alone.
    const product = distribution === 'elasticsearch' ? '(Elasticsearch|version)' : 'OpenSearch';
    assert.ok(
      lines.some((line) =>
        new RegExp(`^✓ search cluster: ${product} ${version.replaceAll('.', '\\.')}\\b`).test(line),
      ),
      lines.join('\n'),
    );
    assert.ok(
      lines.includes(
        `✓ index template for ${sessions}-*: legacy template "${sessions}_sessions3_template" (${sessions}-*, order 99)`,
      ),
      lines.join('\n'),
    );
    assert.ok(
      lines.includes(`✓ today's index for ${sessions}-*: ${today}: open and writable`),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((line) => line.startsWith(`✓ Arkime schema for ${sessions}-*: molochDbVersion 86 `)),
      lines.join('\n'),
    );
    console.log(`# --check: ${lines.join(' | ')}`);
  });

  for (const format of ['bulk', 'bulk1', 'doc'] as const) {
    test(`the whole corpus, kafkaMsgFormat=${format}: read back identical`, (t) =>
      corpusReadBackIdentical(t, servers, { format, template: 'legacy' }));
  }

  test(`mapping breakers on the failure topic as ${mappingError}`, async (t) => {
    const types = await mappingBreakersToFailureTopic(t, servers, 'legacy');
    assert.deepEqual(types, [mappingError, mappingError, mappingError]);
  });

  test('a write block (index.blocks.write): waited for, then indexed', (t) =>
    writeBlockWaitedOut(t, servers, 'index.blocks.write', 'legacy'));

  test('real answers captured, and classified as the indexer expects', async (t) => {
    const prefix = uniqueName('capture_fixture').toLowerCase();
    t.after(await installTemplate(servers.url, prefix, 'legacy'));
    await captureItemCases(capture, servers.url, prefix);
    await captureRoot(capture, servers.url);
    const race = await captureMappingRace(capture, servers.url, prefix);
    const outcome = (name: string) => {
      const c = capture.captured.get(name);
      assert.ok(c);
      return classifyBulkResponse(c.status, c.body, c.request.items ?? 0, new Set());
    };
    assert.deepEqual(outcome('all-ok'), { kind: 'all_ok' });
    const items = outcome('item-errors');
    assert.equal(items.kind, 'items');
    if (items.kind === 'items') {
      assert.deepEqual(
        items.items.map((i) => (i.kind === 'ok' ? 'ok' : `${i.kind} ${i.status} ${i.type}`)),
        [
          'ok',
          `failed 400 ${mappingError}`,
          `failed 400 ${mappingError}`,
          'ok',
          'failed 409 version_conflict_engine_exception',
          'ok',
        ],
      );
    }
    const blocked = outcome('write-block');
    assert.equal(blocked.kind, 'items');
    if (blocked.kind === 'items')
      for (const item of blocked.items)
        assert.equal(item.kind === 'retry' && item.type, 'cluster_block_exception');
    if (race !== undefined) {
      const raced = outcome('mapping-race');
      assert.equal(raced.kind === 'items' && raced.items[0]?.kind, 'retry_once');
    }
    const malformed = outcome('malformed-request');
    assert.equal(malformed.kind === 'request_failed' && malformed.action, 'split');
    console.log(
      `# answers: write block ${capture.captured.get('write-block')?.body.slice(0, 300)}; GET / ${capture.captured.get('root')?.status} ${JSON.stringify(capture.captured.get('root')?.headers)}; mapping race ${race === undefined ? 'not seen in 20 rounds' : String(race.request.describe)}`,
    );
  });

  describe('on a node of its own with a write pool of one thread and a queue of one', () => {
    let node: SearchNode;
    before(async () => {
      node = await SearchNode.create({
        distribution,
        version,
        dir: mkdtempSync(join(tmpdir(), 'aki-compat-overloaded-')),
        nodeName: 'overloaded',
        heapMb: 512,
        settings: overloadedWritePool,
      });
      await node.start();
    });
    after(() => node.stop());

    test('per-item 429s are resent alone until indexed: none on the failure topic', async (t) => {
      const retries = await rejectionsResentAlone(
        t,
        { bootstrap: servers.bootstrap, url: node.url },
        'legacy',
      );
      console.log(`# overload: every session indexed, ${retries} bulk retries, 0 failed`);
    });

    test('rejections captured, and classified as worth resending', async (t) => {
      const prefix = uniqueName('capture_fixture').toLowerCase();
      t.after(await installTemplate(node.url, prefix, 'legacy'));
      for (const rejected of await captureRejections(capture, node.url, prefix)) {
        const outcome = classifyBulkResponse(
          rejected.status,
          rejected.body,
          rejected.request.items ?? 0,
          new Set(),
        );
        const kinds =
          outcome.kind === 'items'
            ? new Set(outcome.items.map((i) => (i.kind === 'ok' ? 'ok' : `${i.kind} ${i.status} ${i.type}`)))
            : new Set([
                outcome.kind === 'request_failed'
                  ? `request ${outcome.action} ${outcome.status} ${outcome.type}`
                  : outcome.kind,
              ]);
        assert.ok(
          [...kinds].every((k) => k === 'ok' || /^(request )?retry 429 /.test(k)),
          [...kinds].join(', '),
        );
        console.log(`# rejection: ${rejected.status} ${[...kinds].join(', ')}`);
      }
    });
  });
});
