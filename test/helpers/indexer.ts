import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { IndexerProcess } from '../../stack/indexer-process.js';
import {
  committedOffsets,
  createTopic,
  endOffsets,
  produce,
  readRecords,
  type ReadRecord,
  type Replication,
} from '../../stack/kafka-topics.js';
import { uniqueName } from '../../stack/names.js';
import {
  allDocuments,
  installTemplate,
  type StoredDocument,
  type TemplateKind,
} from '../../stack/search-client.js';

export type { IndexerProcess };

/** Where clean-ups go: a test's context `t`, or the `after` of node:test called inside a test. */
export type Cleanups = Pick<TestContext, 'after'>;

/**
 * Starts the built indexer with exactly `env`, and kills it when the test ends: a test that fails
 * half-way never leaves an indexer running. A test that expects a clean exit stops it itself.
 */
export async function startIndexer(t: Cleanups, env: Record<string, string>): Promise<IndexerProcess> {
  const indexer = await IndexerProcess.start(env);
  t.after(() => indexer.stop('SIGKILL'));
  return indexer;
}

export interface RunOptions {
  bootstrap: string;
  /** The search cluster the indexer writes to (ELASTIC_SERVICE). */
  url: string;
  /** Starts the prefix of the run's indices, `<name>-<random>` (lower case). */
  name?: string;
  /** Partitions of the topic, messages spread round-robin over them by `produce` (1). */
  partitions?: number;
  /**
   * Installs Arkime's template for `<prefix>-*`, removed with its indices after the test (true:
   * composable; 'legacy' as db.pl does; false: none).
   */
  template?: boolean | TemplateKind;
  /** Creates a failure topic and has the indexer produce to it (true). */
  failureTopic?: boolean;
  /** The consumer group (a unique name): a test that must know its coordinator first names it. */
  group?: string;
  /** Of the topic and the failure topic (one replica). */
  replication?: Replication;
}

/**
 * One indexer run's own names, each unique: a topic, a consumer group, a failure topic and an
 * index prefix, created before the test and removed after it; `start` fills in the environment
 * every run shares, so that a test states only what differs.
 */
export interface IndexerRun {
  readonly bootstrap: string;
  readonly url: string;
  readonly prefix: string;
  readonly topic: string;
  readonly group: string;
  readonly failures: string;
  readonly partitions: number;
  /** The shared environment: brokers, topic, group, failure topic, ELASTIC_SERVICE, a 200 ms flush interval. */
  readonly env: Record<string, string>;
  start(extra?: Record<string, string>): Promise<IndexerProcess>;
  produce(values: Buffer[]): Promise<void>;
  committed(): Promise<bigint[]>;
  /** Waits until the group's committed offset is the end of every partition: every message done. */
  waitAllCommitted(indexer: IndexerProcess, timeoutMs?: number): Promise<void>;
  /** Every document in `<prefix>-*`, after a refresh. */
  documents(): Promise<StoredDocument[]>;
  failureRecords(count: number): Promise<ReadRecord[]>;
  assertNoFailureRecords(): Promise<void>;
}

export async function indexerRun(t: Cleanups, options: RunOptions): Promise<IndexerRun> {
  const { bootstrap, url, partitions = 1 } = options;
  const prefix = uniqueName(options.name ?? 'arkime').toLowerCase();
  const [topic, group, failures] = [
    uniqueName('spi'),
    options.group ?? uniqueName('indexer'),
    uniqueName('spi-failed'),
  ];
  const template = options.template ?? true;
  if (template !== false)
    t.after(await installTemplate(url, prefix, template === true ? 'composable' : template));
  const { replication } = options;
  await createTopic(bootstrap, topic, partitions, replication);
  const failureTopic = options.failureTopic !== false;
  if (failureTopic) {
    const { replicas = 1, minInSync = 1 } = replication ?? {};
    await createTopic(bootstrap, failures, 1, { replicas, minInSync });
  }
  const env: Record<string, string> = {
    KAFKA_CONSUMER_BROKERS: bootstrap,
    KAFKA_CONSUMER_TOPIC: topic,
    KAFKA_CONSUMER_GROUP_NAME: group,
    ...(failureTopic && { KAFKA_PRODUCER_BROKERS: bootstrap, KAFKA_PRODUCER_TOPIC: failures }),
    ELASTIC_SERVICE: url,
    BULKER_FLUSH_INTERVAL: '200ms',
  };
  const committed = (): Promise<bigint[]> => committedOffsets(bootstrap, group, topic, partitions);
  return {
    bootstrap,
    url,
    prefix,
    topic,
    group,
    failures,
    partitions,
    env,
    start: (extra = {}) => startIndexer(t, { ...env, ...extra }),
    produce: (values) => produce(bootstrap, topic, values, partitions),
    committed,
    async waitAllCommitted(indexer, timeoutMs) {
      const ends = await endOffsets(bootstrap, topic);
      const what = `offsets ${ends.join(', ')} committed`;
      await indexer.waitFor(what, async () => (await committed()).every((c, p) => c === ends[p]), timeoutMs);
    },
    documents: () => allDocuments(url, `${prefix}-*`),
    failureRecords: (count) => readRecords(bootstrap, failures, count),
    async assertNoFailureRecords() {
      assert.deepEqual(await endOffsets(bootstrap, failures), [0n], 'nothing on the failure topic');
    },
  };
}

/** Stops the indexer with SIGTERM and checks that it drained and exited 0. */
export async function stopCleanly(indexer: IndexerProcess): Promise<void> {
  assert.equal(await indexer.stop(), 0, indexer.output.slice(-3000));
}

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/** The built CLI with `args` and exactly `env` (and PATH), its stdout lines and exit code. */
export async function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; lines: string[] }> {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { PATH: process.env['PATH'], ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, lines: out.trim().split('\n') };
}
