// The only module that sends HTTP to the search cluster: a keep-alive pool per node, bulk
// requests spread round-robin over the nodes, one attempt per call. Retrying is the caller's
// policy (see retry.ts), so that this stays a plain transport.
import { Readable } from 'node:stream';
import { Pool } from 'undici';
import type { Config } from '../config/schema.js';
import { searchSecurity } from './connection.js';
import { nodeUrls } from './nodes.js';

export interface BulkReply {
  status: number;
  body: string;
  node: string;
}

/** The request never got an HTTP answer: refused, reset, timed out. Always worth retrying. */
export class TransportError extends Error {
  readonly code = 'AKI_SEARCH_UNREACHABLE';
  constructor(
    readonly node: string,
    cause: unknown,
  ) {
    super(`search node ${node} unreachable: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

export type SearchClientConfig = Pick<
  Config,
  | 'elasticService'
  | 'elasticServicePort'
  | 'elasticUseHttps'
  | 'elasticCloudId'
  | 'elasticSslCaLocation'
  | 'elasticUsername'
  | 'elasticPassword'
  | 'elasticApiKey'
  | 'elasticServiceToken'
  | 'elasticClientBulkTimeout'
  | 'elasticTransportDialTimeout'
  | 'elasticTransportDialKeepAlive'
  | 'elasticTransportMaxConnsPerHost'
  | 'elasticTransportIdleConnTimeout'
>;

/**
 * Large message buffers (bulk format, ~500 KB) are written as they are, without a copy; runs of
 * small ones (bulk1, one document each) are joined into ~1 MB chunks, because thousands of
 * socket writes per request cost more than one copy.
 */
function coalesce(parts: Buffer[], chunk = 1 << 20): Buffer[] {
  if (parts.length <= 16) return parts;
  const out: Buffer[] = [];
  let run: Buffer[] = [];
  let runBytes = 0;
  const flush = (): void => {
    if (run.length > 0) out.push(run.length === 1 ? (run[0] as Buffer) : Buffer.concat(run, runBytes));
    run = [];
    runBytes = 0;
  };
  for (const part of parts) {
    if (runBytes + part.length > chunk) flush();
    run.push(part);
    runBytes += part.length;
  }
  flush();
  return out;
}

function headers(auth: string | undefined): Record<string, string> {
  return { 'content-type': 'application/x-ndjson', ...(auth === undefined ? {} : { authorization: auth }) };
}

export class BulkClient {
  private readonly pools: { origin: string; prefix: string; pool: Pool; headers: Record<string, string> }[];
  private readonly query: string;
  private next = 0;

  constructor(config: SearchClientConfig) {
    const security = searchSecurity(config);
    this.pools = nodeUrls(config).map((url) => ({
      // url.origin drops any user:password@ the address carried; it is used as credentials instead.
      origin: url.origin,
      prefix: url.pathname,
      headers: headers(security.authorization(url)),
      pool: new Pool(url.origin, {
        connections: config.elasticTransportMaxConnsPerHost,
        keepAliveTimeout: config.elasticTransportIdleConnTimeout,
        connect: {
          ...security.tls,
          timeout: config.elasticTransportDialTimeout,
          keepAlive: true,
          keepAliveInitialDelay: config.elasticTransportDialKeepAlive,
        },
      }),
    }));
    // `timeout` is the bulk API's own parameter (as the Go indexer sends it); filter_path keeps
    // the answer to what classification reads: a few bytes per document instead of a hundred.
    this.query = `timeout=${config.elasticClientBulkTimeout}ms&filter_path=errors,items.*.status,items.*.error`;
  }

  get nodes(): string[] {
    return this.pools.map((p) => p.origin);
  }

  /** Sends one `_bulk` request to the next node; throws TransportError when no HTTP answer came. */
  async bulk(body: Buffer | Buffer[], signal?: AbortSignal): Promise<BulkReply> {
    const target = this.pools[this.next++ % this.pools.length];
    if (target === undefined) throw new Error('no search node configured');
    try {
      const parts = coalesce(Array.isArray(body) ? body : [body]);
      const length = parts.reduce((sum, part) => sum + part.length, 0);
      const response = await target.pool.request({
        method: 'POST',
        path: `${target.prefix}/_bulk?${this.query}`,
        headers: { ...target.headers, 'content-length': String(length) },
        body: parts.length === 1 ? (parts[0] as Buffer) : Readable.from(parts, { objectMode: false }),
        ...(signal && { signal }),
      });
      return { status: response.statusCode, body: await response.body.text(), node: target.origin };
    } catch (error) {
      throw new TransportError(target.origin, error);
    }
  }

  /** GET a path on the first node that answers (used for checks, not the hot path). */
  async get(path: string): Promise<{ status: number; body: string }> {
    let lastError: Error | undefined;
    for (const target of this.pools) {
      try {
        const response = await target.pool.request({
          method: 'GET',
          path: `${target.prefix}${path}`,
          headers: target.headers,
        });
        return { status: response.statusCode, body: await response.body.text() };
      } catch (error) {
        lastError = new TransportError(target.origin, error);
      }
    }
    throw lastError ?? new Error('no search node configured');
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.pool.close()));
  }
}
