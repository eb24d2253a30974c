// The HTTP server's access rules, on a real server on a free loopback port: which paths ask for
// the credential, what a refusal carries, and that LISTEN_ADDRESS is where it listens.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, test, type TestContext } from 'node:test';
import { startHttpServer, type ListenOn } from '../../src/telemetry/http-server.js';
import { pageAccess } from '../../src/telemetry/page-access.js';
import { testMetrics } from '../pipeline/fakes.js';

async function server(t: TestContext, listen: ListenOn, password?: string): Promise<AddressInfo> {
  const metrics = testMetrics();
  const started = await startHttpServer(listen, {
    metricsPath: '/metrics',
    registry: metrics.registry,
    readiness: () => ({ ready: true, reasons: [] }),
    status: () => Promise.resolve('{"errors":[]}\n'),
    pageAccess: pageAccess(password === undefined ? undefined : { username: 'admin', password }),
  });
  t.after(() => started.close());
  return started.address() as AddressInfo;
}

const authorization = (user: string, password: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

describe('the HTTP server: who may read what', () => {
  test('with STATUS_PASSWORD: / and /status.json answer 401 with WWW-Authenticate, 200 with it; probes and /metrics stay open', async (t) => {
    const { port } = await server(t, { port: 0, listenAddress: '127.0.0.1' }, 'status-Pw-7731');
    const base = `http://127.0.0.1:${port}`;
    for (const path of ['/', '/status.json']) {
      for (const headers of [{}, authorization('admin', 'wrong'), authorization('other', 'status-Pw-7731')]) {
        const refused = await fetch(`${base}${path}`, { headers });
        assert.equal(refused.status, 401, path);
        assert.equal(
          refused.headers.get('www-authenticate'),
          'Basic realm="arkime-kafka-indexer status", charset="UTF-8"',
        );
        assert.equal(await refused.text(), 'authentication required\n');
      }
      const head = await fetch(`${base}${path}`, { method: 'HEAD' });
      assert.equal(head.status, 401, `HEAD ${path}`);
      const allowed = await fetch(`${base}${path}`, { headers: authorization('admin', 'status-Pw-7731') });
      assert.equal(allowed.status, 200, path);
    }
    assert.equal(
      (await fetch(`${base}/status.json`, { headers: authorization('admin', 'status-Pw-7731') })).headers.get(
        'cache-control',
      ),
      'no-store',
    );
    for (const path of ['/metrics', '/healthz', '/readyz'])
      assert.equal((await fetch(`${base}${path}`)).status, 200, path);
    assert.equal((await fetch(`${base}/elsewhere`)).status, 404);
  });

  test('without it the page is open, as it was', async (t) => {
    const { port } = await server(t, { port: 0, listenAddress: '127.0.0.1' });
    for (const path of ['/', '/status.json', '/metrics', '/healthz'])
      assert.equal((await fetch(`http://127.0.0.1:${port}${path}`)).status, 200, path);
  });

  test('LISTEN_ADDRESS: listens there only; empty: every interface', async (t) => {
    const loopback = await server(t, { port: 0, listenAddress: '127.0.0.1' });
    assert.equal(loopback.address, '127.0.0.1');
    const all = await server(t, { port: 0, listenAddress: '' });
    assert.ok(['::', '0.0.0.0'].includes(all.address), all.address);
    // Another address of this host, when it has one: reaches the every-interface server, not the loopback one.
    const other = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
    if (other === undefined)
      return t.diagnostic('no non-loopback IPv4 address here: only the bound address checked');
    assert.equal((await fetch(`http://${other}:${all.port}/healthz`)).status, 200);
    await assert.rejects(fetch(`http://${other}:${loopback.port}/healthz`));
  });
});
