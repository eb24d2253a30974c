// `npm test`: runs every compiled test file with Node's test runner. When integration tests are
// among them, one real stack (Kafka, Elasticsearch, OpenSearch) is started first and shared by
// all files through AKI_STACK, then stopped. `--unit` runs only the tests that need no server;
// paths under test/ (`integration/demo.test.js`, `pipeline`) name files or folders to run, beside
// the unit tests when `--unit` is given too. The tests under cluster/ start a three-broker Kafka
// cluster of their own and take minutes: they run only when named (`npm run test:cluster`). The
// tests under operators/ (the operators' tools run end to end: `replay`) and adaptive/ (adaptive
// bulk concurrency behind the latency proxy) use the stack like integration/ but take longer
// than `npm test` can afford: they too run only when named (`npm run test:operators`,
// `npm run test:adaptive`). So do those under browser/, which need Debian's chromium and start
// the servers they need themselves (`npm run test:browser`). The Kafka conformance suite under
// conformance/ runs only when named too (`npm run test:conformance`): its single-broker
// cases use the stack, its `cluster-*` files start a three-broker cluster of their own and get the
// cluster files' long time limit.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { endpointsFromEnv, LocalStack, stackEnvVar } from '../stack/stack.js';

const testRoot = fileURLToPath(new URL('.', import.meta.url));

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

function runNodeTest(files: string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--test', '--test-reporter=spec', `--test-timeout=${timeoutMs}`, ...files],
    { stdio: 'inherit', env },
  );
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { unit: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const all = testFiles(testRoot).sort();
  const under = (f: string, folder: string): boolean => relative(testRoot, f).startsWith(`${folder}${sep}`);
  const isConformance = (f: string): boolean => under(f, 'conformance');
  /** Files that start a Kafka cluster of their own: minutes each. */
  const isCluster = (f: string): boolean =>
    under(f, 'cluster') || (isConformance(f) && basename(f).startsWith('cluster-'));
  const slowOnes = (f: string): boolean =>
    under(f, 'operators') || under(f, 'adaptive') || (isConformance(f) && !isCluster(f));
  const isIntegration = (f: string): boolean => under(f, 'integration') || slowOnes(f);
  /** Files `npm test` leaves out: they run only when named. */
  const namedOnly = (f: string): boolean => isCluster(f) || slowOnes(f) || under(f, 'browser');
  const named = positionals.map((p) => p.replace(/\.ts$/, '.js').replace(/[/\\]+$/, ''));
  const matches = (file: string, name: string): boolean => {
    const path = relative(testRoot, file);
    return path === name || path === `${name}.test.js` || path.startsWith(`${name}${sep}`);
  };
  const unmatched = named.filter((name) => !all.some((f) => matches(f, name)));
  if (unmatched.length > 0) {
    console.error(`no test files under ${testRoot} match ${unmatched.join(', ')}`);
    return 1;
  }
  const files =
    !values.unit && named.length === 0
      ? all.filter((f) => !namedOnly(f))
      : all.filter(
          (f) =>
            (values.unit && !isIntegration(f) && !namedOnly(f)) || named.some((name) => matches(f, name)),
        );
  if (files.length === 0) {
    console.error('no test files found under', testRoot);
    return 1;
  }
  // The limit applies to a file as a whole: the cluster file runs several minute-long faults.
  const timeoutMs = files.some(isCluster) ? 15 * 60_000 : undefined;
  if (!files.some(isIntegration) || endpointsFromEnv() !== undefined)
    return runNodeTest(files, process.env, timeoutMs);

  const started = performance.now();
  // The conformance suite writes to OpenSearch only: on a 2-core machine, no idle Elasticsearch.
  const onlyConformance = files.filter(isIntegration).every(isConformance);
  const stack = await LocalStack.start({
    ...(onlyConformance && { components: ['kafka', 'opensearch'] as const }),
    log: (line) => console.error(`[stack] ${line}`),
  });
  console.error(
    `[stack] all servers ready in ${((performance.now() - started) / 1000).toFixed(1)} s; logs in ${stack.dir}`,
  );
  // Interrupted (Ctrl-C, or CI's time limit): stop the servers before going, or they outlive the run.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`[stack] ${signal}: stopping the servers`);
      void stack.stop().finally(() => process.exit(130));
    });
  }
  try {
    return await runNodeTest(
      files,
      { ...process.env, [stackEnvVar]: JSON.stringify(stack.endpoints) },
      timeoutMs,
    );
  } finally {
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
