import { execFileSync } from 'node:child_process';

/** The account the search servers run under: they refuse to start as root. */
export interface ServiceUser {
  name: string;
  uid: number;
  gid: number;
}

const userName = 'aki-search';

function lookup(name: string): ServiceUser | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
    return { name, uid, gid };
  } catch {
    return undefined;
  }
}

/**
 * Returns the unprivileged account to run Elasticsearch/OpenSearch under when we are root,
 * creating it if missing; returns undefined when we are not root (they run as us).
 */
export function serviceUser(): ServiceUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const existing = lookup(userName);
  if (existing !== undefined) return existing;
  try {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', userName], {
      stdio: 'pipe',
    });
  } catch (error) {
    throw new Error(`could not create the unprivileged user ${userName} with useradd: ${String(error)}`, {
      cause: error,
    });
  }
  const created = lookup(userName);
  if (created === undefined) throw new Error(`useradd ran but user ${userName} does not exist`);
  return created;
}
