import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Where downloaded and unpacked servers live, outside the repository and kept between runs.
 * As root the default is under /var/cache, not /root, because the search servers run as an
 * unprivileged user who must be able to read their installation.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir =
    env['AKI_STACK_CACHE'] ??
    (process.getuid?.() === 0
      ? '/var/cache/arkime-kafka-indexer'
      : join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'arkime-kafka-indexer'));
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  return dir;
}

async function command(file: string, args: string[], what: string, cwd?: string): Promise<void> {
  try {
    await run(file, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error(`${what}: the command '${file}' is not installed`, { cause: error });
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${what} failed: ${file} ${args.join(' ')}\n${output}`, { cause: error });
  }
}

/**
 * Builds `target` once: `build` fills a fresh sibling folder, which is then renamed into place,
 * so that a run killed half-way or two runs at once never leave a half-built cache entry.
 */
export async function buildOnce(target: string, build: (dir: string) => Promise<void>): Promise<string> {
  if (existsSync(target)) return target;
  const parent = join(target, '..');
  mkdirSync(parent, { recursive: true });
  const scratch = mkdtempSync(`${target}.partial-`);
  try {
    await build(scratch);
    chmodSync(scratch, 0o755);
    renameSync(scratch, target);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    if (existsSync(target)) return target; // another run finished first
    throw error;
  }
  return target;
}

/** Copies one artifact (`group:artifact:version[:type]`) from Maven Central into `dir`. */
export async function mavenCopy(coordinates: string, dir: string): Promise<void> {
  await command(
    'mvn',
    ['-q', '-B', 'dependency:copy', `-Dartifact=${coordinates}`, `-DoutputDirectory=${dir}`],
    `fetching ${coordinates} from Maven Central`,
  );
}

/** Copies an artifact and all its runtime dependencies (a classpath) from Maven Central into `dir`. */
export async function mavenCopyWithDependencies(coordinates: string[], dir: string): Promise<void> {
  const dependencies = coordinates
    .map((c) => {
      const [groupId, artifactId, version] = c.split(':');
      return `<dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>`;
    })
    .join('\n    ');
  const pomDir = mkdtempSync(join(dir, '..', 'pom-'));
  writeFileSync(
    join(pomDir, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.stack</groupId><artifactId>classpath</artifactId><version>1</version>
  <dependencies>
    ${dependencies}
  </dependencies>
</project>
`,
  );
  try {
    await command(
      'mvn',
      ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${dir}`, '-DincludeScope=runtime'],
      `fetching ${coordinates.join(', ')} and their dependencies from Maven Central`,
      pomDir,
    );
  } finally {
    rmSync(pomDir, { recursive: true, force: true });
  }
}

export async function unzip(zip: string, dir: string): Promise<void> {
  await command('unzip', ['-q', zip, '-d', dir], `unpacking ${zip}`);
}

export { command as runCommand };
