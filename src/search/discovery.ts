// Node discovery: which nodes the cluster has, from `GET /_nodes/http` (the same on Elasticsearch
// and OpenSearch), at start, every ELASTIC_CLIENT_DISCOVER_INTERVAL, and whenever the
// ELASTIC_CLIENT_MAX_DEAD_PERCENTAGE rule finds too many nodes dead. A failed discovery changes
// nothing: the nodes known so far, and in the end the seeds, keep being used.
import type { Logger } from '../telemetry/logger.js';
import type { NodePool } from './node-pool.js';

/** Only the fields read below; the full answer is several KB per node. */
export const nodesInfoPath = '/_nodes/http?filter_path=nodes.*.http.publish_address,nodes.*.roles';

/**
 * `http.publish_address` is `ip:port`, or `hostname/ip:port` when the node was configured with a
 * name; IPv6 addresses are in brackets. As go-elasticsearch does, the name is preferred: it is
 * what a TLS certificate names.
 */
export function parsePublishAddress(address: string): { host: string; port: number } | undefined {
  const slash = address.indexOf('/');
  const name = slash > 0 ? address.slice(0, slash) : '';
  const ipPort = slash >= 0 ? address.slice(slash + 1) : address;
  const match = /^(\[[0-9a-fA-F:.%\w]+\]|[^:[\]]+):(\d{1,5})$/.exec(ipPort);
  if (match === null) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  const ip = match[1] as string;
  const host = name === '' ? ip : name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
  return { host, port };
}

const managerRoles = new Set(['master', 'cluster_manager', 'voting_only']);

/** Dedicated master (cluster manager) nodes take no documents; go-elasticsearch skips them too. */
function isManagerOnly(roles: unknown): boolean {
  return Array.isArray(roles) && roles.length > 0 && roles.every((r) => managerRoles.has(String(r)));
}

/**
 * The nodes a `_nodes/http` answer lists, as URLs with the scheme, credentials and no path of
 * `template` (a seed), so that discovered nodes are reached the way the seeds are.
 */
export function nodesFromInfo(body: string, template: URL): URL[] {
  const parsed = JSON.parse(body) as { nodes?: Record<string, { roles?: unknown; http?: unknown }> };
  const urls = new Map<string, URL>();
  for (const node of Object.values(parsed.nodes ?? {})) {
    if (isManagerOnly(node.roles)) continue;
    const http = node.http as { publish_address?: unknown } | undefined;
    if (typeof http?.publish_address !== 'string') continue; // HTTP disabled on that node
    const address = parsePublishAddress(http.publish_address);
    if (address === undefined) continue;
    const url = new URL(`${template.protocol}//${address.host}:${address.port}`);
    url.username = template.username;
    url.password = template.password;
    urls.set(url.origin, url);
  }
  return [...urls.values()];
}

export type DiscoveryReason = 'start' | 'interval' | 'dead_percentage';

export interface DiscoveryDeps {
  pool: NodePool;
  /** GET `nodesInfoPath` from whichever node answers. */
  fetchNodesInfo: () => Promise<{ status: number; body: string }>;
  /** 0: only at start (and when the dead-percentage rule asks). */
  intervalMs: number;
  /** How often the dead-percentage rule is checked (the Go indexer: every BULKER_FLUSH_INTERVAL). */
  checkIntervalMs: number;
  maxDeadPercentage: number;
  /** Counts the rediscoveries the dead-percentage rule asked for (the Go es_client_reloads_total). */
  onRuleReload: () => void;
  logger: Logger;
  now?: () => number;
}

/** Runs discovery on its schedule; one discovery at a time. */
export class NodeDiscovery {
  private readonly timers: NodeJS.Timeout[] = [];
  private running: Promise<boolean> | undefined;
  // While a node is away the rule fires and discovery may fail every check: one line when that
  // starts, debug lines while it goes on.
  private ruleFiring = false;
  private failing = false;

  constructor(private readonly deps: DiscoveryDeps) {}

  start(): void {
    void this.discover('start');
    if (this.deps.intervalMs > 0) this.every(this.deps.intervalMs, () => void this.discover('interval'));
    this.every(this.deps.checkIntervalMs, () => void this.checkDeadPercentage());
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  /**
   * The ELASTIC_CLIENT_MAX_DEAD_PERCENTAGE rule: with that share of the nodes (or more) dead, the
   * node list is likely stale, so it is fetched again now rather than at the next interval.
   */
  async checkDeadPercentage(): Promise<void> {
    const { pool, maxDeadPercentage, logger } = this.deps;
    const { total, dead } = pool.counts();
    if (!pool.tooManyDead(maxDeadPercentage)) {
      this.ruleFiring = false;
      return;
    }
    if (this.running !== undefined) return;
    logger[this.ruleFiring ? 'debug' : 'info'](
      { dead, total, deadPercentage: pool.deadPercentage(), maxDeadPercentage },
      'too many dead search nodes: discovering the nodes again',
    );
    this.ruleFiring = true;
    this.deps.onRuleReload();
    await this.discover('dead_percentage');
  }

  /** Fetches the node list and applies it; false (logged) when that failed. Never rejects. */
  async discover(reason: DiscoveryReason): Promise<boolean> {
    this.running ??= this.fetchAndApply(reason).finally(() => (this.running = undefined));
    return this.running;
  }

  private async fetchAndApply(reason: DiscoveryReason): Promise<boolean> {
    const { pool, logger } = this.deps;
    const now = this.deps.now ?? Date.now;
    try {
      const reply = await this.deps.fetchNodesInfo();
      if (reply.status !== 200)
        throw new Error(`nodes info answered ${reply.status}: ${reply.body.slice(0, 300)}`);
      const template = pool.seedUrls[0] as URL;
      const listed = nodesFromInfo(reply.body, template);
      if (listed.length === 0) throw new Error('nodes info listed no node with an HTTP address');
      pool.applyDiscovery(listed, now());
      if (this.failing) logger.info({ reason }, 'search node discovery works again');
      this.failing = false;
      logger.debug(
        { reason, listed: listed.map((u) => u.origin), nodes: pool.origins },
        'search nodes discovered',
      );
      return true;
    } catch (error) {
      logger[this.failing ? 'debug' : 'warn'](
        { reason, err: error, nodes: pool.origins },
        'search node discovery failed; keeping the nodes known so far',
      );
      this.failing = true;
      return false;
    }
  }

  private every(ms: number, work: () => void): void {
    const timer = setInterval(work, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
