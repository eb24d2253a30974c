// --check learns what Arkime's capture checks before it writes, against the real OpenSearch:
// three session patterns, one with today's index write-blocked, one without any template, one
// whose template has an old molochDbVersion. Each finding is one line that says what to do, and
// the service logs the same at start as warnings and runs anyway.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { todaysIndices } from '../../src/check/arkime.js';
import { bulkLines, readSessions } from '../../stack/arkime.js';
import { call, installTemplate } from '../../stack/search-client.js';
import { uniqueName } from '../../stack/names.js';
import { indexerRun, runCli, stopCleanly } from '../helpers/indexer.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';

describe('--check and start-up know Arkime', () => {
  let servers: KafkaAndSearch;
  before(async () => (servers = await kafkaAnd('opensearch')));

  test('no template, an old molochDbVersion, a write-blocked index of today: a line each with its fix; the service starts anyway', async (t) => {
    const run = await indexerRun(t, { ...servers, name: 'arkime_checks', template: false });
    const { url } = servers;
    const unique = uniqueName('ak').toLowerCase();
    const [blocked, untemplated, old] = ['a', 'b', 'c'].map((x) => `${unique}${x}_sessions3`) as [
      string,
      string,
      string,
    ];
    t.after(await installTemplate(url, blocked, 'legacy'));
    // db.pl of an old Arkime: its template carries an older schema version.
    const oldTemplate = `${url}/_template/${old}_template`;
    await call('PUT', oldTemplate, {
      index_patterns: [`${old}-*`],
      order: 99,
      mappings: { _meta: { molochDbVersion: 78 } },
    });
    t.after(() => call('DELETE', oldTemplate));
    const today = (todaysIndices(`${blocked}-*`, new Date())[0] ?? '').replace(/\*$/, '');
    await call('PUT', `${url}/${today}`);
    await call('PUT', `${url}/${today}/_block/write`);
    const env = {
      ...run.env,
      ELASTIC_ALLOWED_INDICES: [blocked, untemplated, old].map((p) => `${p}-*`).join(','),
    };

    const checked = await runCli(['--check'], env);
    assert.equal(checked.code, 1, checked.lines.join('\n'));
    const arkime = checked.lines.filter((line) => /Arkime schema|today's index/.test(line));
    assert.deepEqual(
      arkime.map((line) => line.replace(/: .*/, '')),
      [
        `✓ Arkime schema for ${blocked}-*`,
        `✗ today's index for ${blocked}-*`,
        `✗ Arkime schema for ${untemplated}-*`,
        `✓ today's index for ${untemplated}-*`,
        `✗ Arkime schema for ${old}-*`,
        `✓ today's index for ${old}-*`,
      ],
      checked.lines.join('\n'),
    );
    assert.match(arkime[0] ?? '', /molochDbVersion 86 /);
    assert.match(
      arkime[1] ?? '',
      new RegExp(
        `: ${today} is write-blocked \\(index\\.blocks\\.write\\): PUT /${today}/_settings \\{"index\\.blocks\\.write": false\\}`,
      ),
    );
    assert.match(
      arkime[2] ?? '',
      new RegExp(`no template for ${untemplated}-\\*: run db/db\\.pl ${url.replace(/\./g, '\\.')} init$`),
    );
    assert.match(arkime[3] ?? '', /does not exist yet: the first session creates it$/);
    assert.match(
      arkime[4] ?? '',
      /molochDbVersion 78 in ".*" is older than 86, .*: run db\/db\.pl .* upgrade$/,
    );

    // The service: the same findings as warnings, and it runs (the cluster may be fixed meanwhile).
    const indexer = await run.start(env);
    await indexer.waitFor('the Arkime warnings', () =>
      indexer.output.includes(`"msg":"Arkime schema for ${old}-*: molochDbVersion 78`),
    );
    for (const [level, start] of [
      [40, `today's index for ${blocked}-*: ${today} is write-blocked`],
      [40, `Arkime schema for ${untemplated}-*: no template`],
      [30, `Arkime schema for ${blocked}-*: molochDbVersion 86`],
    ] as const) {
      const line = indexer.output.split('\n').find((l) => l.includes(`"msg":"${start}`));
      assert.ok(line !== undefined, `no line "${start}"`);
      assert.equal((JSON.parse(line) as { level: number }).level, level, line);
    }
    const healthz = await fetch(`http://127.0.0.1:${indexer.port}/healthz`);
    assert.equal(healthz.status, 200);
    await stopCleanly(indexer);
  });

  test("--check and start-up read the topic's newest sessions: their prefix is the one checked, and an index the allow-list refuses is named", async (t) => {
    const run = await indexerRun(t, { ...servers, name: 'arkime_named', template: false });
    const prefix = `${uniqueName('pf').toLowerCase()}_sessions3`;
    const today = (todaysIndices(`${prefix}-*`, new Date())[0] ?? '').replace(/\*$/, '');
    const [session] = readSessions();
    assert.ok(session !== undefined);
    // One partition, an older session first: only the newest message of each partition is read.
    await run.produce([
      Buffer.from(bulkLines(session, `${prefix}-200101`)),
      Buffer.from(bulkLines(session, today)),
    ]);

    const checked = await runCli(['--check'], { ...run.env, ELASTIC_ALLOWED_INDICES: '*' });
    assert.equal(checked.code, 1, checked.lines.join('\n'));
    assert.ok(
      checked.lines.includes(`✓ indices named in topic ${run.topic}: the newest 1 message(s) name ${today}`),
      checked.lines.join('\n'),
    );
    const arkime = checked.lines.filter((line) => /Arkime schema|today's index/.test(line));
    assert.deepEqual(
      arkime.map((line) => line.replace(/: .*/, '')),
      [`✗ Arkime schema for ${prefix}-*`, `✓ today's index for ${prefix}-*`],
      'the prefix the sessions use, not the default arkime_sessions3-*',
    );
    assert.match(arkime[0] ?? '', new RegExp(`no template for ${prefix}-\\*: run db/db\\.pl .* init$`));

    const refused = await runCli(['--check'], { ...run.env, ELASTIC_ALLOWED_INDICES: 'elsewhere-*' });
    assert.equal(refused.code, 1);
    assert.ok(
      refused.lines.includes(
        `✗ indices named in topic ${run.topic}: index "${today}" is not in ELASTIC_ALLOWED_INDICES: every such session goes to the failure topic as not_allowed`,
      ),
      refused.lines.join('\n'),
    );

    // The service at start: the same prefix, as a warning, and no word of arkime_sessions3-*.
    const indexer = await run.start({ ELASTIC_ALLOWED_INDICES: '*' });
    await indexer.waitFor('the Arkime warning for the prefix', () =>
      indexer.output.includes(`"msg":"Arkime schema for ${prefix}-*: no template`),
    );
    assert.ok(!indexer.output.includes('arkime_sessions3-*'), indexer.output);
    await stopCleanly(indexer);
  });
});
