import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const ticksPerSecond = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a live process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** The peak resident memory of a live process so far (VmHWM), in bytes. */
export function peakRssBytes(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

/**
 * The process listening on a loopback TCP port (the Kafka broker, say), found through its socket's
 * inode in /proc/net/tcp{,6}; undefined when it cannot be seen.
 */
export function pidListeningOn(port: number): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is field 1 (ADDR:PORT), st is field 3 (0A = LISTEN), inode field 9.
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A' && fields[9]) inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        if (inodes.has(target.slice('socket:['.length, -1))) return Number(entry);
      } catch {
        // the descriptor closed meanwhile
      }
    }
  }
  return undefined;
}

/**
 * Waits until a process has used less than `idleCores` of a core over a whole second (at most
 * `maxSeconds`): the search server's merges after a load must not run into the next measurement.
 */
export async function settle(
  pid: number,
  log: (line: string) => void,
  idleCores = 0.1,
  maxSeconds = 180,
): Promise<void> {
  const started = Date.now();
  let before = cpuSeconds(pid);
  for (let waited = 1; waited <= maxSeconds; waited += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = cpuSeconds(pid);
    if (now - before < idleCores) {
      if (waited > 1) log(`search server quiet after ${((Date.now() - started) / 1000).toFixed(0)} s`);
      return;
    }
    before = now;
  }
  log(`search server still busy after ${maxSeconds} s; going on`);
}
