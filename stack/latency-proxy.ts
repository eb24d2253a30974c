// A TCP proxy on loopback that makes a local search node look far away or broken: the kernel here
// has no netem, so latency, a bandwidth cap, a node that accepts and never answers, and one that
// resets connections are made in Node instead. Used by the tests and the benchmark, between the
// indexer and a search node; its settings can change while connections are open.
//
// Each chunk read from one side is written to the other `latencyMs` later (both directions, so a
// round trip costs twice that), in the order read. With a bandwidth cap, chunks also queue behind
// one another as on a link of that many bytes a second.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode =
  /** Pass bytes on, delayed and capped as set. */
  | 'forward'
  /** Accept connections and read what comes, never connect upstream, never answer. */
  | 'hang'
  /** Accept connections and reset them at once (RST): the client sees ECONNRESET. */
  | 'reset';

export interface ProxySettings {
  /** Added to every chunk, in each direction. */
  latencyMs: number;
  /** Bytes a second in each direction; 0: no cap. */
  bytesPerSecond: number;
  mode: ProxyMode;
}

/** Above this many bytes queued in one direction, the side writing is paused until they drain. */
const highWaterBytes = 4 * 1024 * 1024;

interface Queued {
  chunk: Buffer;
  due: number;
}

/** One direction of one connection: chunks from `from`, written to `to` when due, in order. */
class DelayedPipe {
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the capped link is free again (ms, performance.now()). */
  private linkFreeAt = 0;
  private ended = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly settings: () => ProxySettings,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
    from.on('end', () => {
      this.ended = true;
      this.pump();
    });
  }

  private push(chunk: Buffer): void {
    const { latencyMs, bytesPerSecond } = this.settings();
    const now = performance.now();
    let sent = now;
    if (bytesPerSecond > 0) {
      this.linkFreeAt = Math.max(this.linkFreeAt, now) + (chunk.length / bytesPerSecond) * 1000;
      sent = this.linkFreeAt;
    }
    // Never before the chunk ahead of it: a lowered latency must not reorder bytes.
    const last = this.queue.at(-1);
    const due = Math.max(sent + latencyMs, last?.due ?? 0);
    this.queue.push({ chunk, due });
    this.queuedBytes += chunk.length;
    if (this.queuedBytes > highWaterBytes) this.from.pause();
    this.pump();
  }

  private pump(): void {
    if (this.timer !== undefined) return;
    const now = performance.now();
    while (this.queue.length > 0 && (this.queue[0] as Queued).due <= now + 0.5) {
      const { chunk } = this.queue.shift() as Queued;
      this.queuedBytes -= chunk.length;
      if (!this.to.destroyed) this.to.write(chunk);
    }
    if (this.queuedBytes <= highWaterBytes / 2 && this.from.isPaused()) this.from.resume();
    const head = this.queue[0];
    if (head !== undefined) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.pump();
        },
        Math.max(0, head.due - now),
      );
      return;
    }
    if (this.ended && !this.to.destroyed) this.to.end();
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }
}

export class LatencyProxy {
  private readonly sockets = new Set<Socket>();
  private settings: ProxySettings = { latencyMs: 0, bytesPerSecond: 0, mode: 'forward' };
  /** Connections accepted since the start, whatever the mode. */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    private readonly upstream: { host: string; port: number },
    readonly port: number,
  ) {}

  /** Listens on a loopback port the kernel picks, passing connections on to `upstream` (http://host:port). */
  static async start(upstream: string, settings: Partial<ProxySettings> = {}): Promise<LatencyProxy> {
    const url = new URL(upstream);
    const target = { host: url.hostname, port: Number(url.port || 80) };
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: 0, host: '127.0.0.1' }, resolve);
    });
    const port = (server.address() as { port: number }).port;
    const proxy = new LatencyProxy(server, target, port);
    proxy.set(settings);
    server.on('connection', (socket) => proxy.accept(socket));
    return proxy;
  }

  /** The address to give the indexer instead of the node's. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Changes the settings for what comes next; chunks already queued keep their times. */
  set(settings: Partial<ProxySettings>): void {
    const next = { ...this.settings, ...settings };
    if (!(next.latencyMs >= 0) || !(next.bytesPerSecond >= 0)) {
      throw new Error(`latencyMs and bytesPerSecond must be 0 or more, not ${JSON.stringify(settings)}`);
    }
    this.settings = next;
  }

  /** Connections open now (both sides counted once). */
  get connections(): number {
    return this.sockets.size;
  }

  /** Resets every open connection (RST), as a node that crashed would. */
  resetAll(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  private accept(client: Socket): void {
    this.accepted += 1;
    client.on('error', () => undefined);
    const { mode } = this.settings;
    if (mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    this.track(client);
    // Hanging: the bytes are read (so the client's write completes) and go nowhere.
    if (mode === 'hang') {
      client.resume();
      return;
    }
    const server = createConnection({ ...this.upstream, noDelay: true });
    server.on('error', () => client.destroy());
    this.track(server);
    const settings = (): ProxySettings => this.settings;
    const pipes = [new DelayedPipe(client, server, settings), new DelayedPipe(server, client, settings)];
    // An orderly end travels through the pipe (after the bytes queued before it); a reset or an
    // error on one side is passed on at once.
    const closeBoth = (hadError: boolean): void => {
      if (!hadError) return;
      for (const pipe of pipes) pipe.close();
      client.destroy();
      server.destroy();
    };
    client.once('close', closeBoth);
    server.once('close', closeBoth);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}
