// `--check`: with a valid configuration, connect to everything the indexer needs and say, one
// line each, what works and what does not. Exit code 0 only when every check passes.
import type { Config } from '../config/schema.js';
import { KafkaProbe } from '../kafka/probe.js';
import { BulkClient } from '../search/bulk-client.js';
import { createLogger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { runChecks, type Check } from './run.js';
import { searchChecks } from './search.js';

/** Each check's limit: above the Kafka client's connect timeout, below a human's patience. */
export const checkTimeoutMs = 10_000;

function kafkaChecks(config: Config, consumer: KafkaProbe, producer: KafkaProbe | undefined): Check[] {
  const brokers = 'Kafka consumer brokers';
  const checks: Check[] = [
    { name: brokers, run: () => consumer.cluster() },
    {
      name: `topic ${config.kafkaConsumerTopic}`,
      needs: brokers,
      run: () => consumer.topic(config.kafkaConsumerTopic),
    },
    {
      name: `consumer group ${config.kafkaConsumerGroupName} coordinator`,
      needs: brokers,
      run: () => consumer.coordinator(config.kafkaConsumerGroupName),
    },
  ];
  if (producer === undefined) {
    checks.push({
      name: 'failure topic',
      run: () =>
        Promise.resolve('KAFKA_PRODUCER_TOPIC not set: failed documents are logged and counted only'),
    });
    return checks;
  }
  const producerBrokers = 'Kafka producer brokers';
  checks.push(
    { name: producerBrokers, run: () => producer.cluster() },
    {
      name: `failure topic ${config.kafkaProducerTopic}`,
      needs: producerBrokers,
      run: () => producer.topic(config.kafkaProducerTopic),
    },
  );
  return checks;
}

/** Runs every check, printing a line each; 0 when all pass, 1 otherwise. */
export async function checkCommand(config: Config, print: (line: string) => void): Promise<number> {
  const consumer = new KafkaProbe(config.kafkaConsumerBrokers, config, checkTimeoutMs / 2);
  const producer =
    config.kafkaProducerTopic === ''
      ? undefined
      : new KafkaProbe(config.kafkaProducerBrokers, config, checkTimeoutMs / 2);
  // A check prints its own lines: the client's node log and gauges have no reader here.
  const search = new BulkClient(config, { logger: createLogger('disabled'), metrics: createMetrics(config) });
  try {
    const results = await runChecks(
      [
        ...kafkaChecks(config, consumer, producer),
        ...searchChecks((path, signal) => search.get(path, signal), config.elasticAllowedIndices),
      ],
      print,
      checkTimeoutMs,
    );
    return results.every((r) => r.ok) ? 0 : 1;
  } finally {
    // Closing waits for nothing that matters here: the CLI exits right after.
    void consumer.close().catch(() => undefined);
    void producer?.close().catch(() => undefined);
    void search.close().catch(() => undefined);
  }
}
