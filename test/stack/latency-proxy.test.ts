// The latency proxy against a real TCP echo server on loopback: delays both ways, keeps order,
// caps bandwidth, hangs and resets as told.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { LatencyProxy } from '../../stack/latency-proxy.js';

let echo: Server;
let echoUrl: string;
let upstreamConnections = 0;

before(async () => {
  echo = createServer((socket) => {
    upstreamConnections += 1;
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  echoUrl = `http://127.0.0.1:${(echo.address() as { port: number }).port}`;
});
after(() => new Promise<void>((resolve) => echo.close(() => resolve())));

async function connectTo(proxy: LatencyProxy): Promise<Socket> {
  const socket = createConnection({ port: proxy.port, host: '127.0.0.1', noDelay: true });
  await once(socket, 'connect');
  return socket;
}

/** Writes `bytes` and resolves with what came back once that many bytes have. */
function roundTrip(socket: Socket, bytes: Buffer): Promise<{ ms: number; back: Buffer }> {
  const started = performance.now();
  const chunks: Buffer[] = [];
  let got = 0;
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      got += chunk.length;
      if (got < bytes.length) return;
      socket.off('data', onData);
      resolve({ ms: performance.now() - started, back: Buffer.concat(chunks) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(bytes);
  });
}

describe('the latency proxy', () => {
  test('adds its latency in each direction: a round trip costs twice that', async (t) => {
    const proxy = await LatencyProxy.start(echoUrl, { latencyMs: 25 });
    t.after(() => proxy.stop());
    const socket = await connectTo(proxy);
    t.after(() => socket.destroy());
    const { ms, back } = await roundTrip(socket, Buffer.from('ping'));
    assert.equal(back.toString(), 'ping');
    assert.ok(ms >= 49, `round trip ${ms.toFixed(1)} ms, expected at least 50`);
    assert.ok(ms < 500, `round trip ${ms.toFixed(1)} ms`);

    proxy.set({ latencyMs: 0 });
    const fast = await roundTrip(socket, Buffer.from('pong'));
    assert.ok(fast.ms < 40, `without latency ${fast.ms.toFixed(1)} ms`);
  });

  test('keeps the order of many chunks, byte for byte', async (t) => {
    const proxy = await LatencyProxy.start(echoUrl, { latencyMs: 3 });
    t.after(() => proxy.stop());
    const socket = await connectTo(proxy);
    t.after(() => socket.destroy());
    const payload = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4) payload.writeUInt32BE(i / 4, i);
    const { back } = await roundTrip(socket, payload);
    assert.ok(back.equals(payload), 'the bytes came back as sent');
  });

  test('caps bandwidth: 256 KiB at 1 MiB/s takes about a quarter of a second each way', async (t) => {
    const proxy = await LatencyProxy.start(echoUrl, { bytesPerSecond: 1024 * 1024 });
    t.after(() => proxy.stop());
    const socket = await connectTo(proxy);
    t.after(() => socket.destroy());
    const { ms } = await roundTrip(socket, Buffer.alloc(256 * 1024, 7));
    // Each direction queues the bytes behind one another: 250 ms, and the echo's way back overlaps.
    assert.ok(ms >= 240, `took ${ms.toFixed(0)} ms`);
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  });

  test('hang: accepts, reads, never connects upstream, never answers', async (t) => {
    const proxy = await LatencyProxy.start(echoUrl, { mode: 'hang' });
    t.after(() => proxy.stop());
    const before = upstreamConnections;
    const socket = await connectTo(proxy);
    t.after(() => socket.destroy());
    let answered = false;
    socket.on('data', () => (answered = true));
    socket.write('POST /_bulk HTTP/1.1\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(answered, false);
    assert.equal(proxy.connections, 1);
    assert.equal(upstreamConnections, before, 'no upstream connection');
  });

  test('reset: the client sees ECONNRESET; resetAll ends open connections the same way', async (t) => {
    const proxy = await LatencyProxy.start(echoUrl, { mode: 'reset' });
    t.after(() => proxy.stop());
    const refused = createConnection({ port: proxy.port, host: '127.0.0.1' });
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNRESET');

    proxy.set({ mode: 'forward' });
    const open = await connectTo(proxy);
    await roundTrip(open, Buffer.from('hello'));
    proxy.resetAll();
    const [reset] = (await once(open, 'error')) as [NodeJS.ErrnoException];
    assert.equal(reset.code, 'ECONNRESET');
  });

  test('refuses a negative latency', async (t) => {
    const proxy = await LatencyProxy.start(echoUrl);
    t.after(() => proxy.stop());
    assert.throws(() => proxy.set({ latencyMs: -1 }), /0 or more/);
  });
});
