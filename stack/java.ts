import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';

/** A JDK on this machine: its home folder and its major version. */
export interface Jdk {
  home: string;
  major: number;
}

function readJdk(home: string): Jdk | undefined {
  const release = join(home, 'release');
  if (!existsSync(release) || !existsSync(join(home, 'bin', 'java'))) return undefined;
  const match = /^JAVA_VERSION="(\d+)/m.exec(readFileSync(release, 'utf8'));
  return match?.[1] === undefined ? undefined : { home, major: Number(match[1]) };
}

function javaOnPath(env: NodeJS.ProcessEnv): string | undefined {
  try {
    const java = execFileSync('/bin/sh', ['-c', 'command -v java'], {
      encoding: 'utf8',
      env: { PATH: env['PATH'] ?? '' },
    }).trim();
    return java === '' ? undefined : dirname(dirname(realpathSync(java)));
  } catch {
    return undefined;
  }
}

/** Where Debian's and Adoptium's packages put their JDKs. */
export const jvmRoot = '/usr/lib/jvm';

function candidateHomes(env: NodeJS.ProcessEnv, root: string): string[] {
  const homes = [env['JAVA_HOME'], javaOnPath(env)].filter((h): h is string => h !== undefined);
  if (existsSync(root)) homes.push(...readdirSync(root).map((name) => join(root, name)));
  return homes;
}

/** The JDK majors a server runs on: at least `min`, at most `max` when given, and why. */
export interface JavaRange {
  min: number;
  max?: number;
  /** Who needs it, for the error: "elasticsearch 7.17.29". */
  for?: string;
  /** Why there is a maximum, for the error: "uses the security manager, removed in Java 24". */
  why?: string;
}

function describeRange(range: JavaRange): string {
  return range.max === undefined ? `${range.min} or newer` : `${range.min} to ${range.max}`;
}

/**
 * Finds a JDK in `range`, preferring JAVA_HOME, then the `java` on PATH, then the lowest fitting
 * version under /usr/lib/jvm (servers are tested most on their minimum JDK). None fitting is one
 * line naming what is missing, what needs it and the JDKs seen.
 */
export function findJdkIn(range: JavaRange, env: NodeJS.ProcessEnv = process.env, root = jvmRoot): Jdk {
  const fits = (jdk: Jdk): boolean =>
    jdk.major >= range.min && (range.max === undefined || jdk.major <= range.max);
  const found = candidateHomes(env, root)
    .map(readJdk)
    .filter((jdk): jdk is Jdk => jdk !== undefined);
  const preferred = found.slice(0, 2).find(fits);
  if (preferred !== undefined) return preferred;
  const fitting = found.filter(fits).sort((a, b) => a.major - b.major);
  if (fitting[0] !== undefined) return fitting[0];
  const seen = [...new Set(found.map((jdk) => `${jdk.home} (${jdk.major})`))].join(', ') || 'none';
  const who = range.for === undefined ? '' : ` for ${range.for}`;
  const why = range.why === undefined ? '' : ` (it ${range.why})`;
  throw new Error(
    `no JDK ${describeRange(range)} found${who}${why}: install one or set JAVA_HOME; JDKs seen: ${seen}`,
  );
}

/** Finds a JDK of at least `minMajor` (see findJdkIn). */
export function findJdk(minMajor: number, env: NodeJS.ProcessEnv = process.env, root = jvmRoot): Jdk {
  return findJdkIn({ min: minMajor }, env, root);
}
