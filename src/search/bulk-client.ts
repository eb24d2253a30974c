// The only module that sends HTTP to the search cluster: a keep-alive pool of connections per
// node, bulk requests spread round-robin over the nodes in rotation (node-pool.ts decides which,
// discovery.ts keeps the list current), one attempt per call. Retrying is the caller's policy
// (see retry.ts), so that this stays a plain transport.
import { Readable } from 'node:stream';
import { Pool } from 'undici';
import { coalesce, gzipped } from '../bulk/body.js';
import type { Config } from '../config/schema.js';
import type { BulkReply } from '../records.js';
import { errorTree, IndexerError } from '../retry.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { NodeDiscovery, nodesInfoPath } from './discovery.js';
import { defaultTimings, NodePool, type NodeEvent, type SearchNodeState } from './node-pool.js';
import { nodeReporter } from './node-report.js';
import { searchSecurity, type SearchConnectionConfig, type SearchSecurity } from './connection.js';
import { nodeUrls } from './nodes.js';
import { AwsCredentialsError, transportSigner, type TransportSigner } from './aws/transport-signer.js';

/**
 * The request never got an HTTP answer: refused, reset, timed out, or a certificate that does not
 * verify. Always worth retrying: the node comes back, or the operator fixes the CA.
 */
export class TransportError extends IndexerError {
  static readonly code = 'AKI_SEARCH_UNREACHABLE';
  constructor(
    readonly node: string,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`search node ${node} unreachable: ${why}`, TransportError.code, true, { cause });
  }
}

/** The error, or one it wraps, that says a search node gave no HTTP answer. */
export function unreachableNode(error: unknown): TransportError | undefined {
  return errorTree(error).find(
    (e): e is TransportError => e instanceof IndexerError && e.code === TransportError.code,
  );
}

export type SearchClientConfig = SearchConnectionConfig &
  Pick<
    Config,
    | 'elasticClientBulkTimeout'
    | 'elasticRequestTimeout'
    | 'elasticClientCompressRequests'
    | 'elasticClientDiscoverNodes'
    | 'elasticClientDiscoverInterval'
    | 'elasticClientMaxDeadPercentage'
    | 'bulkerFlushInterval'
    | 'elasticTransportDialTimeout'
    | 'elasticTransportDialKeepAlive'
    | 'elasticTransportMaxConnsPerHost'
    | 'elasticTransportIdleConnTimeout'
    | 'elasticAwsSigv4Region'
  >;

export interface SearchClientTelemetry {
  logger: Logger;
  metrics: Pick<
    Metrics,
    | 'searchNodes'
    | 'deadSearchNodes'
    | 'searchClientReloads'
    | 'searchNodeRequests'
    | 'searchNodeFailures'
    | 'bulkCompressSeconds'
    | 'bulkCompressBytes'
  >;
}

/** Discovery and health checks wait this long for an answer; bulks have their own timeout. */
const checkTimeoutMs = 10_000;
/** The dead-percentage rule is checked every BULKER_FLUSH_INTERVAL, as the Go indexer does, but at most once a second. */
const minCheckIntervalMs = 1000;

/** The connections to one node. The one place a connection pool is made. */
function createPool(origin: string, config: SearchClientConfig, tls: SearchSecurity['tls']): Pool {
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

interface Target {
  url: URL;
  pool: Pool;
  prefix: string;
  headers: Record<string, string>;
}

/** One request to one node, as `send` takes it. */
interface Outgoing {
  method: 'GET' | 'POST';
  /** After the node's path prefix, with the query string. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer[];
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

export class BulkClient {
  private readonly rotation: NodePool;
  private readonly targets = new Map<string, Target>();
  private readonly closing = new Set<Promise<void>>();
  private readonly discovery: NodeDiscovery | undefined;
  private readonly security: SearchSecurity;
  private readonly query: string;
  private readonly metrics: SearchClientTelemetry['metrics'];
  private readonly signer: TransportSigner | undefined;

  constructor(
    private readonly config: SearchClientConfig,
    telemetry: SearchClientTelemetry,
  ) {
    this.metrics = telemetry.metrics;
    this.security = searchSecurity(config);
    this.signer = transportSigner(config);
    const reporter = nodeReporter(telemetry.logger, telemetry.metrics, () => this.rotation.counts());
    this.rotation = new NodePool(nodeUrls(config), (event) => this.onNodeEvent(event, reporter.report), {
      ...defaultTimings,
      // A node the cluster stopped listing gets one discovery interval to come back.
      unlistedGraceMs: config.elasticClientDiscoverInterval || defaultTimings.unlistedGraceMs,
    });
    reporter.update();
    // Elastic Cloud answers through a proxy: the addresses its nodes publish cannot be reached.
    // Amazon OpenSearch Service domains answer _nodes with 403 (and their nodes' own addresses
    // could not be reached either): requests go to the configured endpoint.
    if (config.elasticClientDiscoverNodes && this.signer !== undefined) {
      telemetry.logger.info(
        { nodes: this.rotation.origins },
        'ELASTIC_AWS_SIGV4: Amazon OpenSearch Service hides _nodes, so node discovery is off; requests go to the configured endpoint',
      );
    }
    this.discovery =
      config.elasticClientDiscoverNodes && config.elasticCloudId === '' && this.signer === undefined
        ? new NodeDiscovery({
            pool: this.rotation,
            fetchNodesInfo: () => this.get(nodesInfoPath),
            intervalMs: config.elasticClientDiscoverInterval,
            checkIntervalMs: Math.max(config.bulkerFlushInterval, minCheckIntervalMs),
            maxDeadPercentage: config.elasticClientMaxDeadPercentage,
            onRuleReload: () => telemetry.metrics.searchClientReloads.inc(),
            logger: telemetry.logger,
          })
        : undefined;
    // `timeout` is the bulk API's own parameter (as the Go indexer sends it); filter_path keeps
    // the answer to what classification reads: a few bytes per document instead of a hundred.
    this.query = `timeout=${config.elasticClientBulkTimeout}ms&filter_path=errors,items.*.status,items.*.error`;
  }

  /** Starts node discovery (at once, then on its schedule) when ELASTIC_CLIENT_DISCOVER_NODES is on. */
  start(): void {
    this.discovery?.start();
  }

  /** SIGHUP, as in the Go indexer: apply the dead-percentage rule now. */
  async checkNodes(): Promise<void> {
    await this.discovery?.checkDeadPercentage();
  }

  /** The nodes in the pool now (origins, no credentials). */
  get nodes(): string[] {
    return this.rotation.origins;
  }

  /** The nodes in the pool now and whether each is in rotation (the status page). */
  get nodeStates(): { node: string; alive: boolean }[] {
    return this.rotation.states();
  }

  /** Sends one `_bulk` request to the next node; throws TransportError when no HTTP answer came. */
  async bulk(body: Buffer | Buffer[], signal?: AbortSignal): Promise<BulkReply> {
    const parts = Array.isArray(body) ? body : [body];
    const compressed = this.config.elasticClientCompressRequests;
    const payload = compressed ? await gzipped(parts, this.metrics) : coalesce(parts);
    const length = payload.reduce((sum, part) => sum + part.length, 0);
    const node = this.rotation.pick(Date.now());
    const target = this.target(node.url);
    const sentAt = Date.now();
    this.metrics.searchNodeRequests.inc({ url: node.origin });
    try {
      const reply = await this.send(target, {
        method: 'POST',
        path: `/_bulk?${this.query}`,
        headers: { 'content-length': String(length), ...(compressed && { 'content-encoding': 'gzip' }) },
        body: payload,
        // Without this, a node that takes the request and never answers holds it for undici's 300 s.
        timeoutMs: this.config.elasticRequestTimeout,
        signal,
      });
      this.rotation.succeeded(node);
      return { ...reply, node: node.origin };
    } catch (error) {
      if (error instanceof AwsCredentialsError) throw error;
      this.transportFailed(node, sentAt, signal);
      throw new TransportError(node.origin, error);
    }
  }

  /** GET a path on the first node that answers, alive ones first (checks and discovery, not the hot path). */
  async get(path: string, signal?: AbortSignal): Promise<{ status: number; body: string }> {
    let lastError: Error | undefined;
    for (const url of this.rotation.candidates(Date.now())) {
      const target = this.target(url);
      try {
        return await this.send(target, {
          method: 'GET',
          path,
          headers: {},
          timeoutMs: checkTimeoutMs,
          signal,
        });
      } catch (error) {
        if (error instanceof AwsCredentialsError) throw error;
        lastError = new TransportError(url.origin, error);
      }
    }
    throw lastError ?? new Error('no search node configured');
  }

  async close(): Promise<void> {
    this.discovery?.stop();
    const pools = [...this.targets.values()].map((t) => t.pool.close());
    this.targets.clear();
    await Promise.all([...pools, ...this.closing]);
  }

  /**
   * Sends one request; with SigV4, signs it first, anew each time, over the body as sent. A 403
   * that says the credentials or the signature's time ran out is sent once more with new
   * credentials; any other AWS 403 comes back cut to its first sentence (./aws/refusal.ts).
   */
  private async send(target: Target, out: Outgoing): Promise<{ status: number; body: string }> {
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

  private transportFailed(node: SearchNodeState, sentAt: number, signal: AbortSignal | undefined): void {
    // Abandoned on shutdown: the node did nothing wrong.
    if (signal?.aborted) return;
    this.metrics.searchNodeFailures.inc({ url: node.origin });
    this.rotation.failed(node, sentAt, Date.now());
  }

  private target(url: URL): Target {
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

  private onNodeEvent(event: NodeEvent, report: (event: NodeEvent) => void): void {
    report(event);
    if (event.kind !== 'removed') return;
    const target = this.targets.get(event.node);
    if (target === undefined) return;
    this.targets.delete(event.node);
    // Requests still in flight on it finish first.
    const closed: Promise<void> = target.pool.close().finally(() => this.closing.delete(closed));
    this.closing.add(closed);
  }
}
