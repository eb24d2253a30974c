// `--check` for the search cluster: it answers (which product and version), its health, and
// whether an index template will give the indices Arkime writes their mapping. Without one,
// the first document of each day creates its index with guessed field types, and every later
// document that disagrees with them fails.
import type { Check } from './run.js';

/** GET on the cluster: the search client's own `get` (its nodes, TLS and credentials). */
export type Get = (path: string, signal: AbortSignal) => Promise<{ status: number; body: string }>;

export interface Template {
  name: string;
  kind: 'composable' | 'legacy';
  patterns: string[];
  /** priority (composable) or order (legacy): the higher wins. */
  rank: number;
  /** Arkime's schema version, `mappings._meta.molochDbVersion`, as db.pl writes it; undefined when absent. */
  dbVersion?: number;
}

/** Where Arkime writes sessions by default (`<prefix>sessions3-<date>`, prefix `arkime_`). */
export const arkimeSessions = 'arkime_sessions3-*';

/** A name Arkime could give a daily index of this pattern: each * becomes a date. */
export function sampleIndex(pattern: string): string {
  return pattern.replaceAll('*', '260101');
}

/** Whether `name` matches an index pattern (only * is a wildcard in index patterns). */
export function matchesPattern(pattern: string, name: string): boolean {
  const regex = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${regex}$`).test(name);
}

/**
 * The index patterns the sessions go to: Arkime's default when ELASTIC_ALLOWED_INDICES lets it
 * through, else the allowed patterns that name sessions3 (a custom prefix), else all of them.
 */
export function targetIndices(allowed: string[]): string[] {
  if (allowed.some((pattern) => matchesPattern(pattern, sampleIndex(arkimeSessions))))
    return [arkimeSessions];
  const sessions = allowed.filter((pattern) => pattern.includes('sessions3'));
  return sessions.length > 0 ? sessions : allowed;
}

/** The templates from GET /_index_template and GET /_template (narrowed by filter_path). */
export function parseTemplates(composable: unknown, legacy: unknown): Template[] {
  const templates: Template[] = [];
  const list = (composable as { index_templates?: unknown[] } | null)?.index_templates ?? [];
  for (const entry of list as {
    name?: string;
    index_template?: { index_patterns?: unknown; priority?: number; template?: { mappings?: Mappings } };
  }[]) {
    templates.push({
      name: String(entry.name),
      kind: 'composable',
      patterns: patternsOf(entry.index_template?.index_patterns),
      rank: entry.index_template?.priority ?? 0,
      ...dbVersionOf(entry.index_template?.template?.mappings),
    });
  }
  for (const [name, body] of Object.entries(
    (legacy ?? {}) as Record<string, { index_patterns?: unknown; order?: number; mappings?: Mappings }>,
  )) {
    templates.push({
      name,
      kind: 'legacy',
      patterns: patternsOf(body.index_patterns),
      rank: body.order ?? 0,
      ...dbVersionOf(body.mappings),
    });
  }
  return templates;
}

interface Mappings {
  _meta?: { molochDbVersion?: unknown };
}

function dbVersionOf(mappings: Mappings | undefined): { dbVersion?: number } {
  const version = Number(mappings?._meta?.molochDbVersion);
  return Number.isFinite(version) ? { dbVersion: version } : {};
}

/** Every index template, composable and legacy, with what the checks read of them. */
export async function readTemplates(get: Get, signal: AbortSignal): Promise<Template[]> {
  const [composable, legacy] = await Promise.all([
    answer(
      get,
      '/_index_template?filter_path=index_templates.name,index_templates.index_template.index_patterns,index_templates.index_template.priority,index_templates.index_template.template.mappings._meta',
      signal,
    ),
    answer(get, '/_template?filter_path=*.index_patterns,*.order,*.mappings._meta', signal),
  ]);
  return parseTemplates(composable, legacy);
}

function patternsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.map(String) : [];
}

/**
 * The templates a new index of `target` gets, as the cluster chooses: the composable template
 * of highest priority if any matches (legacy ones are then ignored), else every matching legacy
 * template, highest order last.
 */
export function templatesFor(target: string, templates: Template[]): Template[] {
  const name = sampleIndex(target);
  const matching = templates.filter((t) => t.patterns.some((p) => matchesPattern(p, name)));
  const composable = matching.filter((t) => t.kind === 'composable').sort((a, b) => b.rank - a.rank);
  if (composable.length > 0) return composable.slice(0, 1);
  return matching.sort((a, b) => a.rank - b.rank);
}

/** The JSON of an answer, or why there is none: credentials and privileges named. */
export async function answer(get: Get, path: string, signal: AbortSignal): Promise<unknown> {
  return parse(path, await get(path, signal));
}

function parse(path: string, { status, body }: { status: number; body: string }): unknown {
  if (status === 401) {
    throw new Error(
      'credentials refused (401): check ELASTIC_USERNAME and ELASTIC_PASSWORD, ELASTIC_API_KEY or ELASTIC_SERVICE_TOKEN',
    );
  }
  if (status === 403) throw new Error(`not allowed (403) to GET ${path.split('?')[0]}: ${errorReason(body)}`);
  if (status >= 300) throw new Error(`GET ${path.split('?')[0]} answered ${status}: ${errorReason(body)}`);
  return JSON.parse(body) as unknown;
}

function errorReason(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { reason?: string } | string };
    const reason = typeof parsed.error === 'string' ? parsed.error : parsed.error?.reason;
    if (reason !== undefined) return reason;
  } catch {
    // not JSON: the text itself
  }
  return body.slice(0, 200);
}

interface RootInfo {
  cluster_name?: string;
  version?: { number?: string; distribution?: string };
}

interface Health {
  status?: string;
  number_of_nodes?: number;
  unassigned_shards?: number;
}

export function describeCluster(info: RootInfo): string {
  const product = info.version?.distribution === 'opensearch' ? 'OpenSearch' : 'Elasticsearch';
  return `${product} ${info.version?.number ?? '(version unknown)'}, cluster ${JSON.stringify(info.cluster_name ?? '')}`;
}

/** The health line; throws when red (some primary shards unassigned: writes to them fail). */
export function describeHealth(health: Health): string {
  const line = `${health.status ?? 'unknown'}, ${health.number_of_nodes ?? '?'} node(s), ${health.unassigned_shards ?? '?'} unassigned shard(s)`;
  if (health.status !== 'green' && health.status !== 'yellow') throw new Error(line);
  return line;
}

export function describeTemplates(target: string, chosen: Template[]): string {
  if (chosen.length === 0) {
    throw new Error(
      `no index template matches ${target}: new indices would get guessed mappings; install Arkime's (db.pl init) before indexing`,
    );
  }
  return chosen
    .map(
      (t) =>
        `${t.kind} template ${JSON.stringify(t.name)} (${t.patterns.join(',')}, ${t.kind === 'composable' ? 'priority' : 'order'} ${t.rank})`,
    )
    .join(' + ');
}

interface NodesInfo {
  cluster_name?: string;
  nodes?: Record<string, { version?: string }>;
}

/**
 * Product and version from GET /; from the nodes' info where GET / is not served (distributions
 * built without the root endpoint, such as Elasticsearch's integ-test zip).
 */
async function identify(get: Get, signal: AbortSignal): Promise<string> {
  const root = await get('/', signal);
  if (root.status !== 404 && root.status !== 405) return describeCluster(parse('/', root) as RootInfo);
  const info = (await answer(
    get,
    '/_nodes/_local?filter_path=cluster_name,nodes.*.version',
    signal,
  )) as NodesInfo;
  const [node] = Object.values(info.nodes ?? {});
  return `version ${node?.version ?? 'unknown'} (GET / is not served), cluster ${JSON.stringify(info.cluster_name ?? '')}`;
}

export function searchChecks(get: Get, allowedIndices: string[]): Check[] {
  const cluster = 'search cluster';
  return [
    { name: cluster, run: (signal) => identify(get, signal) },
    {
      name: 'search cluster health',
      needs: cluster,
      run: async (signal) => describeHealth((await answer(get, '/_cluster/health', signal)) as Health),
    },
    ...targetIndices(allowedIndices).map((target): Check => ({
      name: `index template for ${target}`,
      needs: cluster,
      run: async (signal) =>
        describeTemplates(target, templatesFor(target, await readTemplates(get, signal))),
    })),
  ];
}
