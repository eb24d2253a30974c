// The indexer's dependencies (pipeline/indexer.ts) as the service (main.ts) and `replay`
// (replay/run.ts) both wire them: bulk requests through the search client, their refusals
// (credentials, privileges, certificates) reported once per node, and the retry rule of the
// configuration. Each caller says only what differs for it: where refused documents go, and what
// it does when the cluster is unavailable.
import type { Config } from './config/schema.js';
import type { IndexerDeps } from './pipeline/indexer.js';
import type { BulkClient } from './search/bulk-client.js';
import { searchSecurity } from './search/connection.js';
import { RefusalReporter, reportingRefusals } from './search/refusals.js';
import { retryRule, type RetryConfig } from './search/retry-decision.js';
import type { Logger } from './telemetry/logger.js';

export interface IndexerParts {
  client: Pick<BulkClient, 'bulk'>;
  metrics: IndexerDeps['metrics'];
  /** A logger for a component: the indexer's lines and the search cluster's refusals. */
  log: (component: 'indexer' | 'search') => Logger;
  fail: IndexerDeps['fail'];
  onUnavailable: IndexerDeps['onUnavailable'];
}

export type IndexerConfig = RetryConfig &
  Pick<Config, 'elasticSslCaLocation'> &
  Parameters<typeof searchSecurity>[0];

export function indexerDeps(config: IndexerConfig, parts: IndexerParts): IndexerDeps {
  const { client, metrics, log, fail, onUnavailable } = parts;
  const authMethod = searchSecurity(config).method();
  return {
    send: reportingRefusals(
      (body: Buffer[], signal: AbortSignal) => client.bulk(body, signal),
      new RefusalReporter(log('search'), () => authMethod, config.elasticSslCaLocation),
    ),
    fail,
    onUnavailable,
    metrics,
    logger: log('indexer'),
    ...retryRule(config),
  };
}
