// Composition root: configuration → logger → metrics → HTTP server → search client → Kafka
// clients → pipeline, and the signals that stop it. The only module that knows them all.
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { secretValues } from './config/load.js';
import type { Config } from './config/schema.js';
import type { FailedDocument } from './records.js';
import { searchBackoff } from './retry.js';
import { KafkaConnectionError } from './kafka/connection.js';
import { KafkaConsumer } from './kafka/consumer.js';
import { FailureProducer } from './kafka/failure-producer.js';
import { allowList } from './pipeline/allow-list.js';
import { Pipeline } from './pipeline/pipeline.js';
import { BulkClient } from './search/bulk-client.js';
import { Readiness, watchSearch } from './telemetry/health.js';
import { searchSecurity } from './search/connection.js';
import { RefusalReporter, reportingRefusals } from './search/refusals.js';
import { startHttpServer } from './telemetry/http-server.js';
import { LagMonitor } from './telemetry/lag.js';
import { createLogger, type Logger } from './telemetry/logger.js';
import { createMetrics, type Metrics } from './telemetry/metrics.js';
import { startSummaryLog } from './telemetry/summary.js';

/** How long a stop may take: below Kubernetes' default 30 s grace period. */
const shutdownDeadlineMs = 25_000;
/** How often done offsets are committed while running. */
const commitIntervalMs = 1000;
/** Batches in flight get this long to finish on shutdown; then they are abandoned, uncommitted. */
const drainGraceMs = 20_000;
/** How often consumer lag is asked from the brokers (and at each join), and the search cluster pinged for /readyz. */
const lagIntervalMs = 5000;
const searchPingIntervalMs = 10_000;
const searchPingTimeoutMs = 5000;

function failureSink(producer: FailureProducer | undefined, logger: Logger, fatal: (error: Error) => void) {
  return async (failures: FailedDocument[], signal: AbortSignal): Promise<void> => {
    for (const f of failures) {
      logger.warn(
        {
          index: f.index,
          id: f.id,
          errorType: f.errorType,
          status: f.status,
          reason: f.reason,
          source: `${f.source.topic}/${f.source.partition}/${f.source.offset}`,
        },
        'document failed to index',
      );
    }
    if (producer === undefined) return;
    // A failure is handled only once it is on the failure topic: keep trying until it is (or until
    // shutdown abandons the batch, which then stays uncommitted).
    for (let attempt = 0; !signal.aborted; attempt += 1) {
      try {
        await producer.send(failures);
        return;
      } catch (error) {
        // Certificates, passwords, mechanisms: no retry fixes those. The batch stays uncommitted.
        if (error instanceof KafkaConnectionError) {
          fatal(error);
          throw error;
        }
        logger.error(
          { err: error, documents: failures.length, attempt },
          'producing failed documents failed; retrying',
        );
        await sleep(Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5)), undefined, { signal }).catch(
          () => undefined,
        );
      }
    }
  };
}

/** Reports the search cluster unavailable while any batch has failed ELASTIC_CLIENT_MAX_RETRIES tries in a row. */
function availabilityReporter(metrics: Metrics, readiness: Readiness, logger: Logger) {
  let failing = 0;
  return (unavailable: boolean, why: string): void => {
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

export async function runIndexer(config: Config): Promise<number> {
  const logger = createLogger(config.logLevel, undefined, secretValues(config));
  const metrics = createMetrics(config);
  const readiness = new Readiness();
  const server: Server = await startHttpServer(config.port, {
    metricsPath: config.metricsPath,
    registry: metrics.registry,
    readiness: () => readiness.state,
  });
  const client = new BulkClient(config, { logger: logger.child({ component: 'search' }), metrics });
  const authMethod = searchSecurity(config).method();
  const send = reportingRefusals(
    (body: Buffer[], signal: AbortSignal) => client.bulk(body, signal),
    new RefusalReporter(logger.child({ component: 'search' }), () => authMethod, config.elasticSslCaLocation),
  );
  const producer =
    config.kafkaProducerTopic === ''
      ? undefined
      : new FailureProducer(config, logger.child({ component: 'producer' }), metrics);
  const consumer = new KafkaConsumer(config, logger.child({ component: 'consumer' }), metrics, {
    // Commit what is done while the old assignment still holds: fewer duplicates after the move.
    onRebalance: () => void pipeline.commit(),
    onRevoked: (partitions) => {
      for (const p of partitions) pipeline.offsets.forget(p.topic, p.partition);
    },
    onJoined: () => {
      readiness.joinedGroup();
      void lag.poll();
    },
  });
  const pipeline: Pipeline = new Pipeline({
    messages: () => consumer.start(),
    recoverable: (error) => !(error instanceof KafkaConnectionError),
    refetchDelayMs: 1000,
    stopFetching: () => consumer.stopFetching(),
    commit: (positions) => consumer.commit(positions),
    indexer: {
      send,
      fail: failureSink(producer, logger.child({ component: 'failures' }), (error) => {
        logger.error({ err: error }, error.message);
        exitCode = 1;
        void pipeline.stop();
      }),
      giveUpAfterMs: config.elasticClientRetryGiveUpAfter,
      onUnavailable: availabilityReporter(metrics, readiness, logger.child({ component: 'search' })),
      metrics,
      logger: logger.child({ component: 'indexer' }),
      retryStatuses: new Set(config.elasticClientRetryStatuses),
      maxRetries: config.elasticClientMaxRetries,
      backoff: searchBackoff(config.elasticClientRetryMaxInterval),
    },
    limits: {
      maxMessages: config.bulkerMaxMessages,
      maxBytes: config.bulkerMaxBytes,
      flushIntervalMs: config.bulkerFlushInterval,
    },
    instances: config.elasticIndexerInstances,
    maxBufferedBytes: config.maxBufferedBytes,
    deterministicIds: config.elasticDeterministicIds,
    allowList: allowList(config),
    commitIntervalMs,
    drainGraceMs,
    metrics,
    logger: logger.child({ component: 'pipeline' }),
  });

  const stopWatchingSearch = watchSearch(
    (signal) => client.get('/', signal),
    readiness,
    searchPingIntervalMs,
    searchPingTimeoutMs,
  );
  const lag = new LagMonitor(consumer, metrics, logger.child({ component: 'lag' }), lagIntervalMs);
  lag.start();
  const stopSummary =
    config.summaryLogInterval > 0
      ? startSummaryLog(
          metrics,
          () => lag.total,
          logger.child({ component: 'summary' }),
          config.summaryLogInterval,
        )
      : () => undefined;

  let exitCode = 0;
  const stop = (signal: string): void => {
    logger.info({ signal }, 'signal received');
    readiness.stopped();
    setTimeout(() => {
      logger.error(
        { deadlineMs: shutdownDeadlineMs },
        'shutdown took too long; uncommitted messages will be redelivered',
      );
      process.exit(1);
    }, shutdownDeadlineMs).unref();
    void pipeline.stop();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    void client.checkNodes();
    client.get('/_cluster/health').then(
      (health) => logger.info({ status: health.status, health: health.body }, 'search cluster checked'),
      (error: unknown) => logger.error({ err: error }, 'search cluster check failed'),
    );
  });

  logger.info(
    {
      brokers: config.kafkaConsumerBrokers,
      topic: config.kafkaConsumerTopic,
      group: config.kafkaConsumerGroupName,
      search: client.nodes,
      auth: authMethod,
      allowedIndices: config.elasticAllowedIndices,
      allowedActions: config.elasticAllowedActions,
    },
    'starting',
  );
  client.start();
  try {
    await consumer.checkSecurity();
    await producer?.checkSecurity();
    await pipeline.run();
  } catch (error) {
    // The message says what failed (a certificate, a password, a broker): it leads the log line.
    logger.error({ err: error }, error instanceof Error ? error.message : 'pipeline stopped on an error');
    exitCode = 1;
  }
  readiness.stopped();
  stopWatchingSearch();
  lag.stop();
  stopSummary();
  await consumer
    .close()
    .catch((error: unknown) => logger.warn({ err: error }, 'closing the consumer failed'));
  await producer
    ?.close()
    .catch((error: unknown) => logger.warn({ err: error }, 'closing the producer failed'));
  await client.close();
  await new Promise((resolve) => server.close(resolve));
  logger.info({ exitCode }, 'stopped');
  return exitCode;
}
