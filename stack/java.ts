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

function javaOnPath(): string | undefined {
  try {
    const java = execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim();
    return java === '' ? undefined : dirname(dirname(realpathSync(java)));
  } catch {
    return undefined;
  }
}

function candidateHomes(env: NodeJS.ProcessEnv): string[] {
  const homes = [env['JAVA_HOME'], javaOnPath()].filter((h): h is string => h !== undefined);
  const jvmRoot = '/usr/lib/jvm';
  if (existsSync(jvmRoot)) homes.push(...readdirSync(jvmRoot).map((name) => join(jvmRoot, name)));
  return homes;
}

/**
 * Finds a JDK of at least `minMajor`, preferring JAVA_HOME, then the `java` on PATH, then the
 * lowest sufficient version under /usr/lib/jvm (servers are tested most on their minimum JDK).
 */
export function findJdk(minMajor: number, env: NodeJS.ProcessEnv = process.env): Jdk {
  const found = candidateHomes(env)
    .map(readJdk)
    .filter((jdk): jdk is Jdk => jdk !== undefined);
  const preferred = found.slice(0, 2).find((jdk) => jdk.major >= minMajor);
  if (preferred !== undefined) return preferred;
  const sufficient = found.filter((jdk) => jdk.major >= minMajor).sort((a, b) => a.major - b.major);
  if (sufficient[0] !== undefined) return sufficient[0];
  const seen = found.map((jdk) => `${jdk.home} (${jdk.major})`).join(', ') || 'none';
  throw new Error(`no JDK ${minMajor} or newer found (set JAVA_HOME); JDKs seen: ${seen}`);
}
