// The search cluster's client: bulk requests spread round-robin over the nodes in rotation
// (node-pool.ts decides which, discovery.ts keeps the list current), sent on each node's
// connections (node-targets.ts, the only module that sends HTTP to it), one attempt per call. Retrying is the caller's policy
// (see retry.ts), so that this stays a plain transport.
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
import { NodeTargets } from './node-targets.js';
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

export class BulkClient {
  private readonly rotation: NodePool;
  private readonly targets: NodeTargets;
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
    this.targets = new NodeTargets(config, this.security, this.signer);
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
    const target = this.targets.of(node.url);
    const sentAt = Date.now();
    this.metrics.searchNodeRequests.inc({ url: node.origin });
    try {
      const reply = await this.targets.send(target, {
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
      const target = this.targets.of(url);
      try {
        return await this.targets.send(target, {
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
    await this.targets.close();
  }

  private transportFailed(node: SearchNodeState, sentAt: number, signal: AbortSignal | undefined): void {
    // Abandoned on shutdown: the node did nothing wrong.
    if (signal?.aborted) return;
    this.metrics.searchNodeFailures.inc({ url: node.origin });
    this.rotation.failed(node, sentAt, Date.now());
  }

  private onNodeEvent(event: NodeEvent, report: (event: NodeEvent) => void): void {
    report(event);
    if (event.kind !== 'removed') return;
    this.targets.remove(event.node);
  }
}
