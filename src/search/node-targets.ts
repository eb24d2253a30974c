// The connections to each search node, and one request sent on them: a keep-alive undici pool per
// node (the one place a pool is made), its path prefix and authorization, and, with SigV4, a
// signature made anew for every try. Which node a request goes to is the caller's (node-pool.ts).
import { Readable } from 'node:stream';
import { Pool } from 'undici';
import type { Config } from '../config/schema.js';
import type { SearchConnectionConfig, SearchSecurity } from './connection.js';
import type { TransportSigner } from './aws/transport-signer.js';

export type NodeTargetsConfig = SearchConnectionConfig &
  Pick<
    Config,
    | 'elasticTransportDialTimeout'
    | 'elasticTransportDialKeepAlive'
    | 'elasticTransportMaxConnsPerHost'
    | 'elasticTransportIdleConnTimeout'
  >;

/** One node as requests reach it. */
export interface Target {
  url: URL;
  pool: Pool;
  prefix: string;
  headers: Record<string, string>;
}

/** One request to one node. */
export interface Outgoing {
  method: 'GET' | 'POST';
  /** After the node's path prefix, with the query string. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer[];
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

/** The connections to one node. */
function createPool(origin: string, config: NodeTargetsConfig, tls: SearchSecurity['tls']): Pool {
  return new Pool(origin, {
    // HTTP/1.1, as the Go indexer speaks. undici 8 would negotiate HTTP/2 with any TLS node (or
    // proxy) that offers it; Elasticsearch's HTTP layer has no HTTP/2, so one protocol everywhere,
    // with parallel bulks on parallel connections (docs/search-nodes.md).
    allowH2: false,
    connections: config.elasticTransportMaxConnsPerHost,
    keepAliveTimeout: config.elasticTransportIdleConnTimeout,
    connect: {
      ...tls,
      timeout: config.elasticTransportDialTimeout,
      keepAlive: true,
      keepAliveInitialDelay: config.elasticTransportDialKeepAlive,
    },
  });
}

function headers(auth: string | undefined): Record<string, string> {
  return { 'content-type': 'application/x-ndjson', ...(auth === undefined ? {} : { authorization: auth }) };
}

export class NodeTargets {
  private readonly targets = new Map<string, Target>();
  private readonly closing = new Set<Promise<void>>();

  constructor(
    private readonly config: NodeTargetsConfig,
    private readonly security: SearchSecurity,
    private readonly signer: TransportSigner | undefined,
  ) {}

  /** The node at `url`, its pool made on first use. */
  of(url: URL): Target {
    let target = this.targets.get(url.origin);
    if (target === undefined) {
      target = {
        url,
        // url.origin drops any user:password@ the address carried; it is used as credentials instead.
        pool: createPool(url.origin, this.config, this.security.tls),
        prefix: url.pathname.replace(/\/+$/, ''),
        headers: headers(this.security.authorization(url)),
      };
      this.targets.set(url.origin, target);
    }
    return target;
  }

  /** A node left the pool: its connections close once the requests still on them finish. */
  remove(origin: string): void {
    const target = this.targets.get(origin);
    if (target === undefined) return;
    this.targets.delete(origin);
    const closed: Promise<void> = target.pool.close().finally(() => this.closing.delete(closed));
    this.closing.add(closed);
  }

  async close(): Promise<void> {
    const pools = [...this.targets.values()].map((t) => t.pool.close());
    this.targets.clear();
    await Promise.all([...pools, ...this.closing]);
  }

  /**
   * Sends one request; with SigV4, signs it first, anew each time, over the body as sent. A 403
   * that says the credentials or the signature's time ran out is sent once more with new
   * credentials; any other AWS 403 comes back cut to its first sentence (./aws/refusal.ts).
   */
  async send(target: Target, out: Outgoing): Promise<{ status: number; body: string }> {
    const path = `${target.prefix}${out.path}`;
    const headers = { ...target.headers, ...out.headers };
    for (let tries = 1; ; tries++) {
      const response = await target.pool.request({
        method: out.method,
        path,
        headers:
          this.signer === undefined
            ? headers
            : await this.signer.headers({
                method: out.method,
                node: target.url,
                path,
                headers,
                ...(out.body !== undefined && { body: out.body }),
              }),
        ...(out.body !== undefined && {
          body:
            out.body.length === 1 ? (out.body[0] as Buffer) : Readable.from(out.body, { objectMode: false }),
        }),
        headersTimeout: out.timeoutMs,
        bodyTimeout: out.timeoutMs,
        ...(out.signal && { signal: out.signal }),
      });
      const text = await response.body.text();
      if (this.signer === undefined || response.statusCode !== 403) {
        return { status: response.statusCode, body: text };
      }
      const refusal = await this.signer.refused(text, tries);
      if (!refusal.again) return { status: 403, body: refusal.body };
    }
  }
}
