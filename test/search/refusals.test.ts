import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { TransportError } from '../../src/search/bulk-client.js';
import { RefusalReporter, reportingRefusals } from '../../src/search/refusals.js';
import { createLogger } from '../../src/telemetry/logger.js';

function capture(): { lines: Record<string, unknown>[]; reporter: (ca?: string) => RefusalReporter } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger('debug', destination);
  return {
    lines,
    reporter: (ca = '') => new RefusalReporter(logger, () => 'Basic (ELASTIC_USERNAME/ELASTIC_PASSWORD)', ca),
  };
}

const node = 'https://127.0.0.1:9243';
const refused = {
  status: 401,
  node,
  body: '{"error":{"type":"security_exception","reason":"unable to authenticate user [indexer]"},"status":401}',
};
const ok = { status: 200, node, body: '{"errors":false}' };

function certificateFailure(): Error {
  const cause = Object.assign(new Error('unable to verify the first certificate'), {
    code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  });
  return new Error(`search node ${node} unreachable: ${cause.message}`, { cause });
}

describe('RefusalReporter', () => {
  test('refused credentials: one error line per streak, with status, node and method', () => {
    const { lines, reporter } = capture();
    const refusals = reporter();
    for (let i = 0; i < 5; i += 1) refusals.reply(refused);
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line?.['level'], 50);
    assert.equal(line?.['status'], 401);
    assert.equal(line?.['node'], node);
    assert.equal(line?.['auth'], 'Basic (ELASTIC_USERNAME/ELASTIC_PASSWORD)');
    assert.equal(line?.['type'], 'security_exception');
    assert.match(
      String(line?.['msg']),
      /refused the credentials \(401\) sent as Basic .*nothing is committed/,
    );

    refusals.reply(ok);
    assert.equal(lines.length, 2);
    assert.match(String(lines[1]?.['msg']), /accepts the requests again/);
    refusals.reply(ok);
    refusals.reply(refused);
    assert.equal(lines.length, 3, 'a new streak is reported again');
  });

  test('403: said to be about privileges, once', () => {
    const { lines, reporter } = capture();
    const refusals = reporter();
    refusals.reply({ ...refused, status: 403 });
    refusals.reply({ ...refused, status: 403 });
    assert.equal(lines.length, 1);
    assert.match(String(lines[0]?.['msg']), /lacks the privileges/);
  });

  test('each node has its own streak', () => {
    const { lines, reporter } = capture();
    const refusals = reporter();
    refusals.reply(refused);
    refusals.reply({ ...refused, node: 'https://127.0.0.2:9243' });
    refusals.reply(refused);
    assert.equal(lines.length, 2);
  });

  test('a certificate that does not verify: once, naming ELASTIC_SSL_CA_LOCATION', () => {
    const { lines, reporter } = capture();
    const refusals = reporter('/etc/ca.pem');
    refusals.failure(node, certificateFailure());
    refusals.failure(node, certificateFailure());
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.['code'], 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.match(String(lines[0]?.['msg']), /not trusted .* by ELASTIC_SSL_CA_LOCATION="\/etc\/ca\.pem"/);
    const system = capture();
    system.reporter().failure(node, certificateFailure());
    assert.match(
      String(system.lines[0]?.['msg']),
      /by Node\.js's built-in CAs \(set ELASTIC_SSL_CA_LOCATION/,
    );
  });

  test('other failures (a refused connection) and other answers say nothing here', () => {
    const { lines, reporter } = capture();
    const refusals = reporter();
    refusals.failure(node, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    refusals.reply(ok);
    refusals.reply({ ...ok, status: 503 });
    assert.equal(lines.length, 0);
  });

  test('reportingRefusals shows the reporter every answer and every failure, and passes both on', async () => {
    const { lines, reporter } = capture();
    const refusals = reporter();
    const answering = reportingRefusals(() => Promise.resolve(refused), refusals);
    assert.equal(await answering(), refused);
    const failing = reportingRefusals(
      () => Promise.reject(new TransportError(node, certificateFailure().cause)),
      refusals,
    );
    await assert.rejects(failing(), TransportError);
    assert.deepEqual(
      lines.map((l) => String(l['msg']).split(' (')[0]),
      [
        `search node ${node} refused the credentials`,
        `search node ${node} has a TLS certificate that is not trusted`,
      ],
    );
  });
});
