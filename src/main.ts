// Composition root: configuration → logger → metrics → search client → HTTP server (metrics,
// probes, status page) → Kafka clients → pipeline, and the signals that stop it. The only module
// that knows them all; each part is made before anything refers to it, and policy lives with the
// part it belongs to.
import { secretValues } from './config/load.js';
import type { Config } from './config/schema.js';
import { indexerDeps } from './indexer-deps.js';
import { KafkaConsumer } from './kafka/reading/consumer.js';
import { failureDelivery } from './kafka/failures/delivery.js';
import { checkKafkaSecurity } from './kafka/probe.js';
import { FailureProducer } from './kafka/failures/producer.js';
import { allowList } from './pipeline/allow-list.js';
import { concurrencyLimit } from './pipeline/concurrency.js';
import { Pipeline } from './pipeline/pipeline.js';
import { logArkimeChecksAtStart } from './check/at-start.js';
import { checkTimeoutMs } from './check/index.js';
import { BulkClient } from './search/bulk-client.js';
import { searchSecurity } from './search/connection.js';
import { handleSignals } from './signals.js';
import { availabilityReporter } from './telemetry/availability.js';
import { checkSearchNow, Readiness, watchSearch } from './telemetry/health.js';
import { logListening, startHttpServer } from './telemetry/http-server.js';
import { LagMonitor } from './telemetry/lag.js';
import { createLogger, logStarting } from './telemetry/logger.js';
import { createMetrics } from './telemetry/metrics.js';
import { pageAccess, pageCredential } from './telemetry/page-access.js';
import { RecentErrors } from './telemetry/recent-errors.js';
import { statusJson, throughputTotals } from './telemetry/status.js';
import { ThroughputHistory } from './telemetry/throughput-history.js';
import { startSummaryLog } from './telemetry/summary.js';

/** How long a stop may take: below Kubernetes' default 30 s grace period. */
const shutdownDeadlineMs = 25_000;
/** How often done offsets are committed while running. */
const commitIntervalMs = 1000;
/** Batches in flight get this long to finish on shutdown; then they are abandoned, uncommitted. */
const drainGraceMs = 20_000;

export async function runIndexer(config: Config): Promise<number> {
  const secrets = secretValues(config);
  const recentErrors = new RecentErrors(undefined, config.statusShowFieldValues);
  const logger = createLogger(config.logLevel, undefined, secrets, recentErrors.tap);
  const log = (component: string): typeof logger => logger.child({ component });
  const metrics = createMetrics(config);
  const readiness = new Readiness();
  const client = new BulkClient(config, { logger: log('search'), metrics });
  const throughput = new ThroughputHistory(() => throughputTotals(metrics));
  const server = await startHttpServer(config, {
    pageAccess: pageAccess(pageCredential(config)),
    metricsPath: config.metricsPath,
    registry: metrics.registry,
    readiness: () => readiness.state,
    status: statusJson(
      {
        metrics,
        readiness: () => readiness.state,
        nodes: () => client.nodeStates,
        history: throughput,
        errors: recentErrors,
        limits: { maxBufferedBytes: config.maxBufferedBytes },
        clock: Date,
      },
      secrets,
    ),
  });
  let exitCode = 0;
  const failed = (error: unknown): void => {
    // The message says what failed (a certificate, a password, a broker): it leads the log line.
    logger.error({ err: error }, error instanceof Error ? error.message : 'pipeline stopped on an error');
    exitCode = 1;
  };
  // Asked for by a signal or by an error no retry fixes, which may come before the pipeline exists.
  const stopping = new AbortController();

  const authMethod = searchSecurity(config).method();
  const producer =
    config.kafkaProducerTopic === '' ? undefined : new FailureProducer(config, log('producer'), metrics);
  const consumer = new KafkaConsumer(config, log('consumer'), metrics);
  const lag = new LagMonitor(consumer, metrics, log('lag'));
  const pipeline = new Pipeline({
    messages: () => consumer.start(),
    stopFetching: () => consumer.stopFetching(),
    commit: (positions) => consumer.commit(positions),
    indexer: indexerDeps(config, {
      client,
      metrics,
      log,
      fail: failureDelivery({
        producer,
        logger: log('failures'),
        onFatal: (error) => {
          failed(error);
          stopping.abort();
        },
      }),
      onUnavailable: availabilityReporter(metrics, readiness, log('search')),
    }),
    limits: {
      maxMessages: config.bulkerMaxMessages,
      maxBytes: config.bulkerMaxBytes,
      flushIntervalMs: config.bulkerFlushInterval,
    },
    concurrency: concurrencyLimit(
      config.elasticIndexerInstances,
      config.elasticIndexerMaxInstances,
      () => performance.now(),
      { metrics, logger: log('concurrency') },
    ),
    maxBufferedBytes: config.maxBufferedBytes,
    startupWaitMs: config.kafkaStartupWait,
    kafkaUnavailable: (unavailable) => readiness.kafkaUnavailable(unavailable),
    deterministicIds: config.elasticDeterministicIds,
    allowList: allowList(config),
    commitIntervalMs,
    drainGraceMs,
    metrics,
    logger: log('pipeline'),
  });
  metrics.readBehindFrom(() => pipeline.behind());
  consumer.listen({
    // Commit what is done while the old assignment still holds: fewer duplicates after the move.
    onRebalance: () => void pipeline.commit(),
    onJoined: () => {
      readiness.joinedGroup();
      void lag.poll();
    },
  });
  stopping.signal.addEventListener('abort', () => void pipeline.stop());

  const stopWatchingSearch = watchSearch((signal) => client.get('/', signal), readiness);
  lag.start();
  throughput.start();
  const stopSummary = startSummaryLog(metrics, () => lag.total, log('summary'), config.summaryLogInterval);

  const releaseSignals = handleSignals({
    stop: (signal) => {
      logger.info({ signal }, 'signal received');
      readiness.stopped();
      stopping.abort();
    },
    deadline: {
      ms: shutdownDeadlineMs,
      overdue: () =>
        logger.error(
          { deadlineMs: shutdownDeadlineMs },
          'shutdown took too long; uncommitted messages will be redelivered',
        ),
    },
    hangUp: () => void checkSearchNow(client, logger),
  });

  logStarting(logger, config, { nodes: client.nodes, auth: authMethod });
  logListening(log('http'), server, config);
  client.start();
  // What Arkime's capture checks before writing: logged, never a reason not to start.
  void logArkimeChecksAtStart(
    config,
    (path, signal) => client.get(path, signal),
    log('arkime'),
    checkTimeoutMs,
  );
  try {
    await checkKafkaSecurity(config, producer !== undefined);
    await pipeline.run();
  } catch (error) {
    failed(error);
  }
  readiness.stopped();
  stopWatchingSearch();
  lag.stop();
  throughput.stop();
  stopSummary();
  await consumer.close();
  await producer?.close();
  await client.close();
  await new Promise((resolve) => {
    server.close(resolve);
    // A browser showing the status page keeps a connection open, asking every 2 s: close() alone
    // would wait for it until the shutdown deadline. Everything else has stopped by now.
    server.closeAllConnections();
  });
  releaseSignals();
  logger.info({ exitCode }, 'stopped');
  return exitCode;
}
