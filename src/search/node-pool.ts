// Which search node the next request goes to. Pure bookkeeping (the clock is passed in), so the
// rules below are unit-tested without servers:
// - round robin over the nodes in rotation;
// - a node whose request got no HTTP answer is dead: out of rotation until its retry time,
//   60 s · 2^(failures−1) capped at 32 min (go-elasticsearch's resurrection schedule), then it
//   is tried again; its first success clears its failures;
// - when every node is dead, the seeds come back, and failing that the dead node with the
//   fewest failures is still tried: requests never stop for want of a node;
// - discovery replaces the list with what the cluster lists (see applyDiscovery).
import { backoffDelay, type BackoffPolicy } from '../retry.js';

export interface NodeTimings {
  /**
   * When a dead node is tried again: `baseMs` after its first failure, doubling with each failure
   * in a row up to `maxMs` (go-elasticsearch: 60 s, doubling 5 times, so 32 min).
   */
  resurrect: BackoffPolicy;
  /** A discovered node the cluster stops listing leaves the pool once unlisted this long. */
  unlistedGraceMs: number;
}

export const defaultTimings: NodeTimings = {
  resurrect: { baseMs: 60_000, maxMs: 32 * 60_000 },
  unlistedGraceMs: 3_600_000,
};

export type NodeEvent =
  | { kind: 'added'; node: string; reason: 'discovered' | 'fallback' }
  | { kind: 'removed'; node: string; reason: 'unlisted' }
  | { kind: 'dead'; node: string; failures: number; retryInMs: number }
  | { kind: 'retrying'; node: string; failures: number }
  | { kind: 'alive'; node: string; reason: 'request_succeeded' | 'rejoined_cluster' };

/** One node as the pool sees it; `url` keeps the scheme, credentials and path prefix requests use. */
export interface SearchNodeState {
  readonly origin: string;
  readonly url: URL;
  alive: boolean;
  /** Failed requests in a row; cleared by a success. */
  failures: number;
  /** When it was last marked dead; requests sent before then that fail too are not counted again. */
  deadSince: number;
  /** When a dead node is tried again. */
  retryAt: number;
  /** Set while discovery does not list it. */
  unlistedSince: number | undefined;
  /** Whether discovery has ever listed it: a seed never listed is no node of the cluster (a load balancer, an alias). */
  listed: boolean;
}

export interface PoolCounts {
  total: number;
  dead: number;
}

export class NodePool {
  private nodes: SearchNodeState[] = [];
  private readonly seeds: URL[];
  private cursor = 0;

  constructor(
    seeds: URL[],
    private readonly onEvent: (event: NodeEvent) => void = () => undefined,
    private readonly timings: NodeTimings = defaultTimings,
  ) {
    if (seeds.length === 0) throw new Error('at least one search node address is needed (ELASTIC_SERVICE)');
    this.seeds = seeds;
    for (const seed of seeds) this.add(seed);
  }

  /** The origins in the pool, in rotation order (dead ones included). */
  get origins(): string[] {
    return this.nodes.map((n) => n.origin);
  }

  get seedUrls(): readonly URL[] {
    return this.seeds;
  }

  /** Each node's origin (no credentials) and whether it is in rotation, in rotation order. */
  states(): { node: string; alive: boolean }[] {
    return this.nodes.map((n) => ({ node: n.origin, alive: n.alive }));
  }

  counts(): PoolCounts {
    return { total: this.nodes.length, dead: this.nodes.filter((n) => !n.alive).length };
  }

  /** The Go indexer's figure: dead nodes as a whole percentage of all nodes, rounded down. */
  deadPercentage(): number {
    const { total, dead } = this.counts();
    return total === 0 ? 0 : Math.floor((dead * 100) / total);
  }

  /**
   * The ELASTIC_CLIENT_MAX_DEAD_PERCENTAGE rule: true when at least one node is dead and the dead
   * make up `maxDeadPercentage` or more of the pool (the Go indexer reloads its client then).
   */
  tooManyDead(maxDeadPercentage: number): boolean {
    return this.counts().dead > 0 && this.deadPercentage() >= maxDeadPercentage;
  }

  /** The node for the next request. */
  pick(now: number): SearchNodeState {
    this.resurrectDue(now);
    const alive = this.nodes.filter((n) => n.alive);
    if (alive.length === 0) {
      const restored = this.restoreSeeds();
      if (restored.length > 0) alive.push(...restored);
    }
    if (alive.length > 0) {
      this.cursor = (this.cursor + 1) % alive.length;
      return alive[this.cursor] as SearchNodeState;
    }
    // Every node and seed is dead: try the one that failed least rather than send nowhere.
    return this.nodes.reduce((best, n) =>
      n.failures < best.failures || (n.failures === best.failures && n.retryAt < best.retryAt) ? n : best,
    );
  }

  /** Nodes to ask for something other than a bulk (discovery, health): alive first, then dead, then seeds. */
  candidates(now: number): URL[] {
    this.resurrectDue(now);
    const ordered = [...this.nodes.filter((n) => n.alive), ...this.nodes.filter((n) => !n.alive)];
    const known = new Set(ordered.map((n) => n.origin));
    return [...ordered.map((n) => n.url), ...this.seeds.filter((s) => !known.has(s.origin))];
  }

  /** The request sent to `node` at `sentAt` got no HTTP answer. */
  failed(node: SearchNodeState, sentAt: number, now: number): void {
    if (!this.nodes.includes(node)) return;
    // Requests already in flight when the node died fail too: one death, counted once.
    if (!node.alive && sentAt <= node.deadSince) return;
    node.alive = false;
    node.failures += 1;
    node.deadSince = now;
    const retryInMs = this.resurrectDelay(node.failures);
    node.retryAt = now + retryInMs;
    this.onEvent({ kind: 'dead', node: node.origin, failures: node.failures, retryInMs });
  }

  /** The request to `node` got an HTTP answer (any status: the node is up). */
  succeeded(node: SearchNodeState): void {
    if (!this.nodes.includes(node) || node.failures === 0) return;
    node.alive = true;
    node.failures = 0;
    this.onEvent({ kind: 'alive', node: node.origin, reason: 'request_succeeded' });
  }

  /**
   * Takes the node list from discovery. Listed nodes join (new ones alive); a dead node that had
   * left the list and is listed again restarted, so it rejoins at once; another listed dead node
   * waits no longer than the first wait since its last failure. A seed the cluster has
   * never listed leaves once a listed node is alive (it is a load balancer or another name of a
   * listed node: requests would go twice as often to one node). Other unlisted nodes keep their
   * state and leave after `unlistedGraceMs`, so that a node away for a restart comes back as soon
   * as the cluster lists it again. An empty list changes nothing.
   */
  applyDiscovery(listed: URL[], now: number): void {
    if (listed.length === 0) return;
    const listedOrigins = new Set(listed.map((u) => u.origin));
    for (const url of listed) {
      const known = this.nodes.find((n) => n.origin === url.origin);
      if (known === undefined) {
        this.add(url).listed = true;
        this.onEvent({ kind: 'added', node: url.origin, reason: 'discovered' });
        continue;
      }
      if (!known.alive && known.unlistedSince !== undefined) {
        known.alive = true;
        this.onEvent({ kind: 'alive', node: known.origin, reason: 'rejoined_cluster' });
      } else if (!known.alive) {
        // The cluster counts it as a member: no longer than the first wait before it is tried
        // again, however long its failures made the wait (after an outage of the whole cluster).
        known.retryAt = Math.min(known.retryAt, known.deadSince + this.timings.resurrect.baseMs);
      }
      known.unlistedSince = undefined;
      known.listed = true;
    }
    const listedAlive = this.nodes.some((n) => n.alive && listedOrigins.has(n.origin));
    const seedOrigins = new Set(this.seeds.map((s) => s.origin));
    for (const node of [...this.nodes]) {
      if (listedOrigins.has(node.origin)) continue;
      const leave =
        seedOrigins.has(node.origin) && !node.listed
          ? listedAlive
          : now - (node.unlistedSince ??= now) >= this.timings.unlistedGraceMs;
      if (leave) {
        this.nodes = this.nodes.filter((n) => n !== node);
        this.onEvent({ kind: 'removed', node: node.origin, reason: 'unlisted' });
      }
    }
  }

  private add(url: URL): SearchNodeState {
    const node: SearchNodeState = {
      origin: url.origin,
      url,
      alive: true,
      failures: 0,
      deadSince: 0,
      retryAt: 0,
      unlistedSince: undefined,
      listed: false,
    };
    this.nodes.push(node);
    return node;
  }

  /** Dead nodes whose retry time has come go back into rotation, on trial until a request answers. */
  private resurrectDue(now: number): void {
    for (const node of this.nodes) {
      if (node.alive || node.retryAt > now) continue;
      node.alive = true;
      this.onEvent({ kind: 'retrying', node: node.origin, failures: node.failures });
    }
  }

  /** When every node is dead, seeds that discovery had replaced come back (the node list may be stale). */
  private restoreSeeds(): SearchNodeState[] {
    const known = new Set(this.nodes.map((n) => n.origin));
    return this.seeds
      .filter((seed) => !known.has(seed.origin))
      .map((seed) => {
        this.onEvent({ kind: 'added', node: seed.origin, reason: 'fallback' });
        return this.add(seed);
      });
  }

  /**
   * The retry policy's backoff at its ceiling, without jitter: go-elasticsearch's schedule, and
   * a node's wait shows in its log line as the exact time it is tried again.
   */
  private resurrectDelay(failures: number): number {
    return backoffDelay(this.timings.resurrect, failures - 1, () => 1);
  }
}
