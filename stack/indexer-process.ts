import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.js';

const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));

/**
 * The real indexer, as an operator runs it: the built CLI in its own process, configured by
 * environment. The demo runs it this way; tests start it through test/helpers/indexer.ts, which
 * stops it when the test ends.
 */
export class IndexerProcess {
  readonly lines: Record<string, unknown>[] = [];
  private stderr = '';
  readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ text: line });
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(env: Record<string, string>): Promise<IndexerProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [cli], {
      env: { PATH: process.env['PATH'], PORT: String(port), LOG_LEVEL: 'debug', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new IndexerProcess(child, port);
  }

  /** True until the process has exited, by itself or by a signal. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get output(): string {
    return `${this.lines.map((l) => JSON.stringify(l)).join('\n')}\n${this.stderr}`;
  }

  /** The Prometheus text at /metrics. */
  async metrics(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    return response.text();
  }

  /**
   * Sum of a metric's samples whose labels include `labels` (e.g. 'reason="msg_limit"'); `name`
   * without the default `arkime_kafkaindexer_` prefix.
   */
  async metric(shortName: string, labels = ''): Promise<number> {
    const text = await this.metrics();
    const name = `arkime_kafkaindexer_${shortName}`;
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .filter((line) => line.includes(labels))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  }

  /** Polls `check` until it holds, failing with the indexer's output if it does not within `timeoutMs`. */
  async waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await Promise.resolve(check()).catch(() => false)) return;
      if (!this.running) break;
      await sleep(200);
    }
    throw new Error(`timed out waiting for ${what}; indexer output:\n${this.output.slice(-4000)}`);
  }

  /** Waits until a metric's value `holds` (as `metric()` sums it), e.g. `(n) => n === 20`. */
  async waitForMetric(
    shortName: string,
    holds: (value: number) => boolean,
    labels = '',
    timeoutMs?: number,
  ): Promise<void> {
    const what = `${shortName}${labels === '' ? '' : `{${labels}}`} to satisfy ${holds.toString()}`;
    await this.waitFor(what, async () => holds(await this.metric(shortName, labels)), timeoutMs);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }
}
