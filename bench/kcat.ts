// librdkafka, the native reference for the Kafka limit: Debian's `kcat` and the libraries it needs
// beyond a base system (librdkafka1, libyajl2), fetched with `apt-get download` and unpacked with
// `dpkg-deb -x` into the stack's cache the way stack/nginx.ts fetches nginx. Tooling of the
// benchmark only: nothing is installed on the system and the indexer never loads it.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnce, cacheDir, runCommand } from '../stack/artifacts.js';

const packages = ['kcat', 'librdkafka1', 'libyajl2'];

/** The kcat binary and the environment that lets it find its unpacked libraries. */
export async function installKcat(): Promise<{ command: string; env: Record<string, string> }> {
  const root = await buildOnce(join(cacheDir(), 'kcat-debian'), async (dir) => {
    const debs = join(dir, 'debs');
    mkdirSync(debs);
    try {
      await runCommand('apt-get', ['download', ...packages], `downloading ${packages.join(', ')}`, debs);
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\nrun 'apt-get update' once (apt has no package list yet), or leave out the kafka-limit-librdkafka scenario`,
        { cause: error },
      );
    }
    for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
      await runCommand('dpkg-deb', ['-x', join(debs, deb), join(dir, 'root')], `unpacking ${deb}`);
    }
  });
  return {
    command: join(root, 'root', 'usr', 'bin', 'kcat'),
    env: { LD_LIBRARY_PATH: join(root, 'root', 'usr', 'lib', 'x86_64-linux-gnu') },
  };
}
