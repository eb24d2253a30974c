// Whether ELASTIC_REQUEST_TIMEOUT and ELASTIC_CLIENT_BULK_TIMEOUT can work together, checked with
// the other settings before anything starts (cli.ts). The bulk timeout is the `timeout` parameter
// of each request: how long the node may wait (index creation, mapping updates, active shards)
// before it answers. The request timeout is how long the client waits for that answer before it
// gives the request up and sends it again (search/bulk-client.ts). At or below the bulk timeout,
// the client gives up on a node that is still within its allowed wait: every slow index creation
// becomes a resend, and the node may still apply the first request (documents without an _id
// indexed twice). Hence strictly greater.
import type { Config } from './schema.js';
import { formatDuration } from './print.js';

export type TimeoutConfig = Pick<Config, 'elasticRequestTimeout' | 'elasticClientBulkTimeout'>;

/** One line naming both settings when the pair contradicts itself; empty when it does not. */
export function timeoutErrors(config: TimeoutConfig): string[] {
  const request = config.elasticRequestTimeout;
  const bulk = config.elasticClientBulkTimeout;
  if (request > bulk) return [];
  return [
    `ELASTIC_REQUEST_TIMEOUT=${formatDuration(request)} is not valid with ELASTIC_CLIENT_BULK_TIMEOUT=${formatDuration(bulk)}: expected ELASTIC_REQUEST_TIMEOUT above ELASTIC_CLIENT_BULK_TIMEOUT, the time a node may spend before it answers a bulk request (raise the first or lower the second)`,
  ];
}
