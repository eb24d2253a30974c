// Who may read our own pages, on the running daemon against the real Kafka broker and OpenSearch:
// with STATUS_PASSWORD (read from a file) the status page and /status.json answer 401 without it
// and 200 with it, while /metrics and the probes stay open; LISTEN_ADDRESS=127.0.0.1 is the only
// address it answers on; and a document the real mapping refuses shows on /status.json with the
// field's value cut, while the log line keeps it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { bulkLines, indexFor, readSessions } from '../../stack/arkime.js';
import { indexerRun, runCli, stopCleanly } from '../helpers/indexer.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';

const password = 'page-Secret-5531';
const basic = (user: string, secret: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`,
});

interface StatusErrors {
  errors: { message: string; type: string; detail: string }[];
}

describe('status page access', () => {
  let servers: KafkaAndSearch;
  before(async () => (servers = await kafkaAnd('opensearch')));

  test('401 without the credential, 200 with it; probes and /metrics open; bound to 127.0.0.1; field values cut', async (t) => {
    const run = await indexerRun(t, { ...servers, name: 'arkime_pages' });
    const dir = mkdtempSync(join(tmpdir(), 'aki-pages-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const passwordFile = join(dir, 'status-password');
    writeFileSync(passwordFile, `${password}\n`);
    const env = {
      LOG_LEVEL: 'info',
      LISTEN_ADDRESS: '127.0.0.1',
      STATUS_USERNAME: 'ops',
      STATUS_PASSWORD_FILE: passwordFile,
    };

    // The settings as --print-config shows them: the password never; a bad address stops start-up.
    const printed = await runCli(['--print-config'], { ...run.env, ...env });
    assert.equal(printed.code, 0);
    assert.ok(printed.lines.includes('LISTEN_ADDRESS=127.0.0.1'));
    assert.ok(printed.lines.includes('STATUS_PASSWORD=***'));
    assert.ok(!printed.lines.join('\n').includes(password));
    assert.equal((await runCli(['--print-config'], { ...run.env, LISTEN_ADDRESS: '127.0.0.1:80' })).code, 2);

    // Two sessions, the second with a date its mapping refuses.
    const sessions = readSessions()
      .filter((s) => s.index === 'arkime_sessions3-250124')
      .slice(0, 2);
    const broken = { ...sessions[1]!, doc: { ...sessions[1]!.doc, firstPacket: 'yesterday' } };
    await run.produce([sessions[0]!, broken].map((s) => Buffer.from(bulkLines(s, indexFor(s, run.prefix)))));
    const indexer = await run.start(env);
    const origin = `http://127.0.0.1:${indexer.port}`;
    await indexer.waitFor('/readyz 200', async () => (await fetch(`${origin}/readyz`)).status === 200);

    for (const path of ['/', '/status.json']) {
      for (const headers of [{}, basic('ops', 'wrong'), basic('admin', password)]) {
        const refused = await fetch(`${origin}${path}`, { headers });
        assert.equal(refused.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.match(refused.headers.get('www-authenticate') ?? '', /^Basic realm="/);
      }
      assert.equal((await fetch(`${origin}${path}`, { headers: basic('ops', password) })).status, 200, path);
    }
    for (const path of ['/metrics', '/healthz', '/readyz'])
      assert.equal((await fetch(`${origin}${path}`)).status, 200, path);

    // Where it listens, as the start-up line says; another address of this host does not answer.
    const listening = indexer.lines.find((line) => line['component'] === 'http');
    assert.equal(listening?.['listen'], `127.0.0.1:${indexer.port}`);
    assert.equal(listening?.['statusAuth'], 'basic');
    assert.match(String(listening?.['msg']), /behind basic authentication \(user ops\)/);
    const other = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
    if (other !== undefined) await assert.rejects(fetch(`http://${other}:${indexer.port}/healthz`));
    else t.diagnostic('no non-loopback IPv4 address here: only the bound address checked');

    // The refused document: its reason on /status.json without the value, in the log with it.
    await indexer.waitForMetric('documents_failed_total', (n) => n === 1);
    const status = (await (
      await fetch(`${origin}/status.json`, { headers: basic('ops', password) })
    ).json()) as StatusErrors;
    const failed = status.errors.find((e) => e.message === 'document failed to index');
    assert.match(failed?.type ?? '', /^(mapper_parsing_exception|document_parsing_exception)$/);
    assert.match(
      failed?.detail ?? '',
      /\[firstPacket\] of type \[date\].*Preview of field's value: \(hidden\)/,
    );
    assert.ok(!JSON.stringify(status).includes('yesterday'), JSON.stringify(status.errors));
    assert.ok(!JSON.stringify(status).includes(password));
    const logged = indexer.lines.find((line) => line['msg'] === 'document failed to index');
    assert.match(String(logged?.['reason']), /Preview of field's value: 'yesterday'/);
    assert.ok(!indexer.output.includes(password));
    await stopCleanly(indexer);
  });
});
