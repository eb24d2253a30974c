// Whether the search cluster takes bulk requests, as the indexer reports it: the
// `searchUnavailable` gauge, readiness, and one log line when an outage starts and one when it
// ends (not one per batch: several batches fail and recover together).
import type { Readiness } from './health.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/**
 * The indexer's `onUnavailable`: told true when a batch has failed ELASTIC_CLIENT_MAX_RETRIES
 * tries in a row, false when that batch gets through. The cluster counts as unavailable while
 * any batch is in that state.
 */
export function availabilityReporter(
  metrics: Pick<Metrics, 'searchUnavailable'>,
  readiness: Pick<Readiness, 'bulkUnavailable'>,
  logger: Logger,
): (unavailable: boolean, why: string) => void {
  let failing = 0;
  return (unavailable, why) => {
    failing += unavailable ? 1 : -1;
    metrics.searchUnavailable.set(failing > 0 ? 1 : 0);
    readiness.bulkUnavailable(failing > 0);
    if (unavailable && failing === 1) {
      logger.error(
        { error: why },
        'search cluster unavailable: retrying without end, fetching pauses when buffers fill',
      );
    } else if (!unavailable && failing === 0) logger.info('search cluster available again');
  };
}
