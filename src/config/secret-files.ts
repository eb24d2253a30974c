// Secrets from files: every setting marked `secret` may instead be given as <NAME>_FILE, the path
// of a file that holds it (a Kubernetes Secret or a Docker secret mounted as a file). The value
// then never sits in the process's environment, where /proc/<pid>/environ, `docker inspect` and
// a crash dump of the environment would show it.
import { readFileSync } from 'node:fs';
import { readProblem } from './files.js';

/** Reads a file's text; tests pass their own. */
export type ReadText = (path: string) => string;

const readUtf8: ReadText = (path) => readFileSync(path, 'utf8');

export const fileSuffix = '_FILE';

/**
 * The environment with each secret's <NAME>_FILE read into <NAME>: the file's text without its
 * trailing line breaks (an editor or `echo` adds one). Setting both, or a file that cannot be
 * read, is one line each, naming the variable and the path, never the content.
 */
export function withSecretFiles(
  env: NodeJS.ProcessEnv,
  secretNames: readonly string[],
  read: ReadText = readUtf8,
): { env: NodeJS.ProcessEnv; errors: string[] } {
  const result: NodeJS.ProcessEnv = { ...env };
  const errors: string[] = [];
  for (const name of secretNames) {
    const path = env[name + fileSuffix]?.trim() ?? '';
    if (path === '') continue;
    if ((env[name] ?? '').trim() !== '') {
      errors.push(`${name} and ${name}${fileSuffix} are both set: set one of them`);
      continue;
    }
    try {
      result[name] = read(path).replace(/[\r\n]+$/, '');
    } catch (error) {
      errors.push(`${name}${fileSuffix}=${JSON.stringify(path)} cannot be read: ${readProblem(error)}`);
    }
  }
  return { env: result, errors };
}
