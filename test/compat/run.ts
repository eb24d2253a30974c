// `npm run test:compat [-- release…] [--record]`: the compatibility matrix. One Kafka broker,
// then each search server release of stack/search-versions.ts in turn (never two at once: memory
// and CPU), each tested by search-server.compat.js. A release is named `opensearch:3.6.0`, or a
// whole product `elasticsearch`; none named runs all six. `--record` writes the results to
// docs/compatibility.json, the table in docs/security.md, and the captured answers into
// test/fixtures/responses/; `--tables` only writes the tables anew. Every JDK a release needs is looked for before anything starts: one
// missing fails the run with one line naming it, never a silent skip.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installSearch } from '../../stack/search-install.js';
import { SearchNode } from '../../stack/search-node.js';
import { jdksFor, releaseName, searchMatrix, type SearchRelease } from '../../stack/search-versions.js';
import { LocalStack, stackEnvVar, type StackEndpoints } from '../../stack/stack.js';
import {
  compatibilityTable,
  fixturesEnvVar,
  mappingErrorType,
  releaseEnvVar,
  withCompatibilityTable,
  type ReleaseResult,
} from './results.js';

const repo = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const resultsFile = repo('docs/compatibility.json');
const tableFiles = [repo('README.md'), repo('docs/security.md')];
const testFile = fileURLToPath(new URL('search-server.compat.js', import.meta.url));

const log = (line: string): void => console.error(`[compat] ${line}`);
const seconds = (since: number): number => Math.round((performance.now() - since) / 100) / 10;

function selected(names: string[]): SearchRelease[] {
  if (names.length === 0) return [...searchMatrix];
  const unknown = names.filter(
    (n) => !searchMatrix.some((r) => r.distribution === n || `${r.distribution}:${r.version}` === n),
  );
  if (unknown.length > 0)
    throw new Error(
      `not in the matrix: ${unknown.join(', ')} (it has ${searchMatrix.map((r) => `${r.distribution}:${r.version}`).join(', ')})`,
    );
  return searchMatrix.filter((r) =>
    names.some((n) => n === r.distribution || n === `${r.distribution}:${r.version}`),
  );
}

/** Runs the compatibility test file against one release; its pass and fail counts from TAP. */
async function runTests(env: NodeJS.ProcessEnv, tap: string): Promise<{ passed: number; failed: number }> {
  const child = spawn(
    process.execPath,
    [
      '--test',
      '--test-timeout=600000',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      testFile,
    ],
    { stdio: 'inherit', env },
  );
  await new Promise((resolve) => child.once('exit', resolve));
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const counted = (what: string): number =>
    Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const failed = counted('fail') + counted('cancelled');
  // A file that died before reporting counts as one failure, never as nothing run.
  return { passed: counted('pass'), failed: text === '' ? Math.max(failed, 1) : failed };
}

function record(results: ReleaseResult[], fixtures: string, runDir: string): void {
  const previous: ReleaseResult[] = existsSync(resultsFile)
    ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as ReleaseResult[])
    : [];
  const merged = searchMatrix
    .map(
      (r) =>
        results.find((x) => releaseName(x) === releaseName(r)) ??
        previous.find((x) => releaseName(x) === releaseName(r)),
    )
    .filter((r): r is ReleaseResult => r !== undefined);
  writeFileSync(resultsFile, `${JSON.stringify(merged, null, 2)}\n`);
  writeTables();
  log(`recorded in ${resultsFile} and ${tableFiles.join(', ')}; fixtures in ${fixtures} (logs in ${runDir})`);
}

/** The tables of README.md and docs/security.md, written anew from docs/compatibility.json. */
function writeTables(): void {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as ReleaseResult[];
  const table = compatibilityTable(searchMatrix, results);
  for (const file of tableFiles)
    writeFileSync(file, withCompatibilityTable(readFileSync(file, 'utf8'), table));
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { record: { type: 'boolean', default: false }, tables: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (values.tables) {
    writeTables();
    return 0;
  }
  const releases = selected(positionals);
  const jdks = jdksFor(releases);
  const started = performance.now();
  for (const r of releases) await installSearch(r.distribution, r.version);
  const stack = await LocalStack.start({ components: ['kafka'], log });
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void stack.stop().finally(() => process.exit(130)));
  const fixtures = values.record ? repo('test/fixtures/responses') : '';
  const results: ReleaseResult[] = [];
  try {
    for (const release of releases) {
      const name = releaseName(release);
      const node = await SearchNode.create({
        ...release,
        dir: mkdtempSync(join(tmpdir(), `aki-compat-${release.version}-`)),
      });
      const t0 = performance.now();
      let startSeconds = 0;
      let counts = { passed: 0, failed: 1 };
      const t1 = performance.now();
      try {
        await node.start();
        startSeconds = seconds(t0);
        log(`${name} on Java ${jdks.get(release)?.major} ready in ${startSeconds} s`);
        const endpoints: StackEndpoints = {
          ...stack.endpoints,
          [release.distribution]: { url: node.url, version: release.version },
        };
        counts = await runTests(
          {
            ...process.env,
            [stackEnvVar]: JSON.stringify(endpoints),
            [releaseEnvVar]: JSON.stringify({ distribution: release.distribution, version: release.version }),
            [fixturesEnvVar]: fixtures,
          },
          join(stack.dir, `${release.distribution}-${release.version}.tap`),
        );
      } catch (error) {
        log(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        await node.stop();
      }
      const testSeconds = seconds(t1) - startSeconds;
      results.push({
        distribution: release.distribution,
        version: release.version,
        java: jdks.get(release)?.major ?? 0,
        startSeconds,
        testSeconds: Math.round(testSeconds * 10) / 10,
        ...counts,
        date: new Date().toISOString().slice(0, 10),
        mappingError: mappingErrorType(release.distribution, release.version),
      });
      log(`${name}: ${counts.passed} passed, ${counts.failed} failed in ${testSeconds.toFixed(1)} s`);
    }
  } finally {
    await stack.stop();
  }
  for (const r of results)
    log(
      `${releaseName(r)} (Java ${r.java}): start ${r.startSeconds} s, tests ${r.testSeconds} s, ${r.passed} passed, ${r.failed} failed`,
    );
  log(`matrix wall time ${seconds(started)} s`);
  if (values.record) record(results, fixtures, stack.dir);
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[compat] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
