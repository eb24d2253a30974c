// What Arkime's own capture checks before it writes, checked for the indices this indexer writes:
// the sessions template carries a schema version (`_meta.molochDbVersion`, written by db.pl) recent
// enough for the documents, and today's index takes writes (not write-blocked, read-only or
// closed). `--check` prints a line each; the service logs the same at start as warnings and starts
// anyway, since the cluster may be fixed while it waits.
import { nodeUrls, type NodeAddressConfig } from '../search/nodes.js';
import { runChecks, type Check } from './run.js';
import { answer, readTemplates, templatesFor, type Get } from './search.js';

/** The cluster as db.pl is told it in a fix: the first node's origin, no credentials. */
export function clusterUrl(config: NodeAddressConfig): string {
  return nodeUrls(config)[0]?.origin ?? 'http://localhost:9200';
}

/** The schema version of the sessions3 template this indexer is tested with (test/fixtures/arkime). */
export const testedDbVersion = 86;
/** The oldest schema Arkime's capture itself writes to (capture/db.es.c). */
export const captureDbVersion = 83;

/**
 * The names Arkime gives today's index of `target` (`<prefix>sessions3-*`), in UTC as capture
 * does: daily and hourly (`YYMMDD`, `YYMMDDhHH`: one wildcard), weekly (`YYwWW`, the day of the
 * year over 7) and monthly (`YYmMM`). Empty for a pattern that is not Arkime's.
 */
export function todaysIndices(target: string, now: Date): string[] {
  if (!/sessions3-\*$/.test(target)) return [];
  const base = target.slice(0, -1);
  const two = (n: number): string => String(n).padStart(2, '0');
  const year = two(now.getUTCFullYear() % 100);
  const dayOfYear = Math.floor((now.getTime() - Date.UTC(now.getUTCFullYear(), 0, 1)) / 86_400_000);
  return [
    `${base}${year}${two(now.getUTCMonth() + 1)}${two(now.getUTCDate())}*`,
    `${base}${year}w${two(Math.floor(dayOfYear / 7))}`,
    `${base}${year}m${two(now.getUTCMonth() + 1)}`,
  ];
}

/** The template's schema version against ours; throws with the db.pl command that fixes it. */
export function describeDbVersion(
  target: string,
  chosen: { name: string; dbVersion?: number }[],
  cluster: string,
): string {
  if (chosen.length === 0) throw new Error(`no template for ${target}: run db/db.pl ${cluster} init`);
  const versioned = chosen.filter((t) => t.dbVersion !== undefined);
  const newest = versioned.sort((a, b) => (b.dbVersion ?? 0) - (a.dbVersion ?? 0))[0];
  if (newest?.dbVersion === undefined) {
    const names = chosen.map((t) => JSON.stringify(t.name)).join(', ');
    throw new Error(
      `${names} carries no _meta.molochDbVersion: not Arkime's sessions3 template; run db/db.pl ${cluster} init (or upgrade)`,
    );
  }
  const { name, dbVersion } = newest;
  if (dbVersion < testedDbVersion) {
    throw new Error(
      `molochDbVersion ${dbVersion} in ${JSON.stringify(name)} is older than ${testedDbVersion}, the schema this indexer is tested with (capture needs ${captureDbVersion}): run db/db.pl ${cluster} upgrade`,
    );
  }
  return `molochDbVersion ${dbVersion} (${JSON.stringify(name)}), at least ${testedDbVersion}`;
}

type IndexSettings = Record<string, { settings?: Record<string, unknown> }>;

const blocks: [setting: string, what: string, fix: (index: string) => string][] = [
  [
    'index.blocks.read_only_allow_delete',
    'read-only: the disk flood-stage watermark was passed',
    () => 'free disk space (the block lifts by itself once below the high watermark)',
  ],
  ['index.blocks.read_only', 'read-only', (i) => `PUT /${i}/_settings {"index.blocks.read_only": false}`],
  ['index.blocks.write', 'write-blocked', (i) => `PUT /${i}/_settings {"index.blocks.write": false}`],
];

/** Today's index as its settings say; throws with what blocks writes to it and how to lift it. */
export function describeTodaysIndex(names: string[], settings: IndexSettings): string {
  const found = Object.entries(settings).sort(([a], [b]) => a.localeCompare(b));
  if (found.length === 0) {
    return `${names[0]?.replace(/\*$/, '') ?? 'none'} does not exist yet: the first session creates it`;
  }
  const problems: string[] = [];
  for (const [index, { settings: flat = {} }] of found) {
    // A closed index keeps this setting; opening it removes it.
    if (String(flat['index.verified_before_close']) === 'true')
      problems.push(`${index} is closed: POST /${index}/_open`);
    for (const [setting, what, fix] of blocks)
      if (String(flat[setting]) === 'true') problems.push(`${index} is ${what} (${setting}): ${fix(index)}`);
  }
  if (problems.length > 0) throw new Error(`${problems.join('; ')}; until then every session to it fails`);
  return `${found.map(([index]) => index).join(', ')}: open and writable`;
}

/**
 * The Arkime checks for each target pattern of Arkime's shape (`<prefix>sessions3-*`, from
 * `targetIndices` of search.ts); `cluster` is the URL
 * db.pl is told in the fixes. Each needs the "search cluster" check when run after it.
 */
export function arkimeChecks(get: Get, targets: string[], cluster: string, now: () => Date): Check[] {
  return targets
    .filter((target) => /sessions3-\*$/.test(target))
    .flatMap((target): Check[] => [
      {
        name: `Arkime schema for ${target}`,
        needs: 'search cluster',
        run: async (signal) =>
          describeDbVersion(target, templatesFor(target, await readTemplates(get, signal)), cluster),
      },
      {
        name: `today's index for ${target}`,
        needs: 'search cluster',
        run: async (signal) => {
          const names = todaysIndices(target, now());
          // The creation date, which every index has: the answer leaves out an index none of the
          // settings asked for is set on, and an open, unblocked index would look absent.
          const path = `/${names.join(',')}/_settings/index.creation_date,index.blocks.*,index.verified_before_close?flat_settings=true&expand_wildcards=all&ignore_unavailable=true&allow_no_indices=true`;
          return describeTodaysIndex(names, (await answer(get, path, signal)) as IndexSettings);
        },
      },
    ]);
}

/**
 * At start: the same checks, each finding logged (a warning when it fails), never stopping the
 * service: the cluster may be fixed while the indexer waits, and documents wait in Kafka meanwhile.
 */
export async function logArkimeChecks(
  checks: Check[],
  logger: {
    info: (fields: object, message: string) => void;
    warn: (fields: object, message: string) => void;
  },
  timeoutMs: number,
): Promise<void> {
  for (const result of await runChecks(checks, () => undefined, timeoutMs)) {
    if (result.ok) logger.info({ check: result.name }, `${result.name}: ${result.detail}`);
    else logger.warn({ check: result.name, problem: result.detail }, `${result.name}: ${result.detail}`);
  }
}
