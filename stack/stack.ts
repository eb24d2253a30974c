import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installKafka, KafkaBroker } from './kafka-broker.js';
import { installSearch } from './search-install.js';
import { SearchNode } from './search-node.js';
import { versionsFromEnv, type StackVersions } from './versions.js';

export type Component = 'kafka' | 'elasticsearch' | 'opensearch';
export const allComponents: readonly Component[] = ['kafka', 'elasticsearch', 'opensearch'];

/** What a test needs to reach the stack; passed to test processes as JSON in AKI_STACK. */
export interface StackEndpoints {
  kafka?: { bootstrap: string; version: string };
  elasticsearch?: { url: string; version: string };
  opensearch?: { url: string; version: string };
  /** Where the servers' logs are kept. */
  dir: string;
}

export const stackEnvVar = 'AKI_STACK';

export function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): StackEndpoints | undefined {
  const text = env[stackEnvVar];
  return text === undefined || text === '' ? undefined : (JSON.parse(text) as StackEndpoints);
}

export interface StackOptions {
  components?: readonly Component[];
  versions?: StackVersions;
  /** Progress lines ("kafka 4.1.2 ready in 6.1 s"); silent when omitted. */
  log?: (line: string) => void;
}

/**
 * A real Kafka broker and real search nodes on loopback, each in a folder of one temporary
 * run directory. Logs stay there after `stop()` (data is removed), so a failed run can be read.
 */
export class LocalStack {
  private constructor(
    readonly dir: string,
    readonly versions: StackVersions,
    readonly kafka: KafkaBroker | undefined,
    readonly elasticsearch: SearchNode | undefined,
    readonly opensearch: SearchNode | undefined,
  ) {}

  static async start(options: StackOptions = {}): Promise<LocalStack> {
    const components = new Set(options.components ?? allComponents);
    const versions = options.versions ?? versionsFromEnv(process.env);
    const log = options.log ?? (() => undefined);
    const dir = mkdtempSync(join(tmpdir(), 'aki-stack-'));
    chmodSync(dir, 0o755); // the search servers' unprivileged user must reach its own folders

    // Fetch one at a time: parallel Maven runs on a fresh machine race on the same plugin files.
    if (components.has('kafka'))
      await timed(log, `kafka ${versions.kafka} installed`, () => installKafka(versions.kafka));
    for (const distribution of ['elasticsearch', 'opensearch'] as const) {
      if (components.has(distribution)) {
        const version = versions[distribution];
        await timed(log, `${distribution} ${version} installed`, () => installSearch(distribution, version));
      }
    }

    const kafka = components.has('kafka')
      ? await KafkaBroker.create({ version: versions.kafka, dir: join(dir, 'kafka') })
      : undefined;
    const search = async (distribution: 'elasticsearch' | 'opensearch'): Promise<SearchNode | undefined> =>
      components.has(distribution)
        ? SearchNode.create({ distribution, version: versions[distribution], dir: join(dir, distribution) })
        : undefined;
    const stack = new LocalStack(
      dir,
      versions,
      kafka,
      await search('elasticsearch'),
      await search('opensearch'),
    );
    const servers = [stack.kafka, stack.elasticsearch, stack.opensearch].filter((s) => s !== undefined);
    const started = await Promise.allSettled(
      servers.map((s) => timed(log, `${s.name} ready`, () => s.start())),
    );
    const failures = started.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0) {
      await stack.stop();
      throw new Error(
        failures.map((f) => String(f.reason instanceof Error ? f.reason.message : f.reason)).join('\n\n'),
      );
    }
    return stack;
  }

  get endpoints(): StackEndpoints {
    return {
      dir: this.dir,
      ...(this.kafka && { kafka: { bootstrap: this.kafka.bootstrap(), version: this.versions.kafka } }),
      ...(this.elasticsearch && {
        elasticsearch: { url: this.elasticsearch.url, version: this.versions.elasticsearch },
      }),
      ...(this.opensearch && { opensearch: { url: this.opensearch.url, version: this.versions.opensearch } }),
    };
  }

  /** Stops every server (in parallel), then removes their data; their logs stay in `dir`. */
  async stop(): Promise<void> {
    const servers = [this.kafka, this.elasticsearch, this.opensearch].filter((s) => s !== undefined);
    await Promise.all(servers.map((s) => s.stop()));
    for (const sub of ['kafka/data', 'elasticsearch/data', 'opensearch/data']) {
      rmSync(join(this.dir, sub), { recursive: true, force: true });
    }
  }
}

async function timed<T>(log: (line: string) => void, what: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await work();
  log(`${what} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return result;
}
