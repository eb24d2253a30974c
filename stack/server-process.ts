import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServerProcessOptions {
  /** Shown in every error, e.g. "elasticsearch 8.19.21 (node es-1)". */
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
  /** Run as this account (the search servers refuse root). */
  user?: { uid: number; gid: number } | undefined;
  /** Resolves true once the server answers as it should. */
  isReady: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

const running = new Set<ServerProcess>();

// Servers run in their own process group (the Elasticsearch launcher forks the real JVM), so a
// test run that ends for any reason must take the whole groups down or they outlive it.
process.once('exit', () => {
  for (const server of running) server.killNow();
});

/** One server JVM (and whatever it forks), with its log in a file, a readiness wait and a clean stop. */
export class ServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(readonly options: ServerProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the server and waits until `isReady` says so, or fails with its last log lines. */
  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error(`${this.options.name} is already running`);
    const log = openSync(this.options.logFile, 'a');
    const child = spawn(this.options.command, this.options.args, {
      cwd: this.options.cwd,
      env: this.options.env,
      stdio: ['ignore', log, log],
      detached: true,
      ...(this.options.user === undefined ? {} : { uid: this.options.user.uid, gid: this.options.user.gid }),
    });
    closeSync(log);
    // The server must not keep its owner's event loop alive; it is killed when the owner exits.
    child.unref();
    this.child = child;
    running.add(this);
    let exitCode: number | string | null | undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exitCode = code ?? `signal ${String(signal)}`;
        running.delete(this);
        resolve(code);
      });
      child.once('error', (error) => {
        exitCode = `-1 (${error.message})`;
        running.delete(this);
        resolve(null);
      });
    });
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 180_000);
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        this.child = undefined;
        throw new Error(
          `${this.options.name} exited with code ${String(exitCode)} before it was ready${this.logTail()}`,
        );
      }
      if (await this.options.isReady().catch(() => false)) return;
      await sleep(250);
    }
    await this.stop();
    throw new Error(
      `${this.options.name} was not ready after ${(this.options.readyTimeoutMs ?? 180_000) / 1000} s${this.logTail()}`,
    );
  }

  /** Asks the server to stop (SIGTERM to its group), and kills the group if it has not within the grace time. */
  async stop(graceMs = 30_000): Promise<void> {
    const child = this.child;
    if (child?.pid === undefined) return;
    this.signal('SIGTERM');
    // The grace timer is cancelled once the server is gone: left running, it would hold the test
    // process open for the whole grace time after its last test.
    const grace = new AbortController();
    const stopped = await Promise.race([
      this.exited.then(() => true),
      sleep(graceMs, false, { signal: grace.signal }).catch(() => true),
    ]);
    grace.abort();
    if (!stopped) {
      this.signal('SIGKILL');
      await this.exited;
    }
    this.child = undefined;
  }

  /** Kills the server at once (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    if (this.child === undefined) return;
    this.signal('SIGKILL');
    // The child is unreferenced: without a timer of its own, an owner with nothing else to do
    // would exit before hearing of the exit it waits for.
    const holdOpen = setInterval(() => undefined, 1000);
    await this.exited.finally(() => clearInterval(holdOpen));
    this.child = undefined;
  }

  /** Stops (true) or continues (false) the server's process group, as a hung host would. */
  freeze(frozen: boolean): void {
    this.signal(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** Synchronous last resort used on process exit. */
  killNow(): void {
    this.signal('SIGKILL');
  }

  /** The last lines of the server's log, for error messages. */
  logTail(lines = 25): string {
    try {
      const text = readFileSync(this.options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      return `\n--- last lines of ${this.options.logFile} ---\n${text}`;
    } catch {
      return ` (no log at ${this.options.logFile})`;
    }
  }

  private signal(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is already gone
    }
  }
}
