import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';

/**
 * Ports for the stack's servers come from below the kernel's ephemeral range. A port the kernel
 * hands out for `listen(0)` lies inside that range, where any outgoing connection (a Kafka
 * client's, a search client's) may take it as its local port before the server binds it, or
 * while a stopped server waits to start again on it. Below the range only a listener can take a
 * port, and the probe sees that.
 */
const lowest = 10_000;

function ephemeralStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const port = Number(start);
    return Number.isInteger(port) && port > lowest + 1000 ? port : 32_768;
  } catch {
    return 32_768; // Linux's default; other systems have no such file.
  }
}

const highest = ephemeralStart() - 1;
/** Ports this process has handed out: never twice, even after their server has stopped. */
const handedOut = new Set<number>();
/** Where this process starts looking: spread by pid, so that test files running side by side look in different places. */
let next = lowest + ((process.pid * 7919) % (highest - lowest));

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A loopback port that no listener holds and this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < highest - lowest; tries += 1) {
    const port = next;
    next = next >= highest ? lowest : next + 1;
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free loopback port between ${lowest} and ${highest}`);
}
