// The one place that turns a node change into a log line and the node gauges.
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { NodeEvent, PoolCounts } from './node-pool.js';

export type NodeMetrics = Pick<Metrics, 'searchNodes' | 'deadSearchNodes'>;

export function nodeReporter(logger: Logger, metrics: NodeMetrics, counts: () => PoolCounts) {
  const update = (): void => {
    const { total, dead } = counts();
    metrics.searchNodes.set(total);
    metrics.deadSearchNodes.set(dead);
  };
  return {
    update,
    report: (event: NodeEvent): void => {
      update();
      switch (event.kind) {
        case 'added':
          logger.info({ node: event.node, reason: event.reason }, 'search node added to the rotation');
          break;
        case 'removed':
          logger.info(
            { node: event.node, reason: event.reason },
            'search node removed: the cluster no longer lists it',
          );
          break;
        case 'dead':
          logger.warn(
            { node: event.node, failures: event.failures, retryInMs: event.retryInMs },
            'search node dead: out of rotation until it is retried',
          );
          break;
        case 'retrying':
          logger.info({ node: event.node, failures: event.failures }, 'retrying dead search node');
          break;
        case 'alive':
          logger.info({ node: event.node, reason: event.reason }, 'search node back in rotation');
          break;
      }
    },
  };
}
