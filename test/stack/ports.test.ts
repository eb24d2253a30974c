import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { freePort } from '../../stack/ports.js';

test('ports come from below the ephemeral range, never twice, and can be bound', async () => {
  const ephemeral = Number(
    readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
  );
  const ports: number[] = [];
  for (let i = 0; i < 40; i += 1) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length);
  for (const port of ports)
    assert.ok(port >= 10_000 && port < ephemeral, `${port} (ephemeral from ${ephemeral})`);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ports.at(-1), '127.0.0.1', resolve);
  });
  await new Promise((resolve) => server.close(resolve));
});
