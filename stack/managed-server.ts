import type { ServerProcess } from './server-process.js';

/** A server of the stack: prepared on its first start, then started, stopped, killed and started again with its data. */
export abstract class ManagedServer {
  private process: ServerProcess | undefined;

  /** Installs and configures the server; called once, on the first start. */
  protected abstract prepare(): Promise<ServerProcess>;

  /** Starts the server and waits until it answers as it should. */
  async start(): Promise<void> {
    if (this.process === undefined) this.process = await this.prepare();
    await this.process.start();
  }

  async stop(): Promise<void> {
    await this.process?.stop();
  }

  /** Kills the server at once, as a crash would; `start()` brings it back with its data. */
  async kill(): Promise<void> {
    await this.process?.kill();
  }

  /** Freezes the server (SIGSTOP): connections stay open and nothing answers, as a hung node. */
  pause(): void {
    this.process?.freeze(true);
  }

  /** Lets a paused server run on (SIGCONT). */
  resume(): void {
    this.process?.freeze(false);
  }

  logTail(): string {
    return this.process?.logTail() ?? '';
  }
}
