// `--check`: with a valid configuration, connect to everything the indexer needs and say, one
// line each, what works and what does not. Exit code 0 only when every check passes.
import type { Config } from '../config/schema.js';
import { KafkaProbe } from '../kafka/probe.js';
import { BulkClient } from '../search/bulk-client.js';
import { createLogger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { runChecks, type Check } from './run.js';
import { arkimeChecks, clusterUrl } from './arkime.js';
import { searchChecks, type Get } from './search.js';
import { arkimeTargets, topicDocumentChecks, topicsRead } from './topic-documents.js';

/** Each check's limit: above the Kafka client's connect timeout, below a human's patience. */
export const checkTimeoutMs = 10_000;

/** What the Kafka checks read of the configuration. */
type KafkaCheckConfig = Pick<Config, 'kafkaConsumerGroupName' | 'kafkaConsumerTopic' | 'kafkaProducerTopic'>;

const brokers = 'Kafka consumer brokers';

function kafkaChecks(
  config: KafkaCheckConfig,
  consumer: KafkaProbe,
  producer: KafkaProbe | undefined,
): Check[] {
  const checks: Check[] = [
    { name: brokers, run: () => consumer.cluster() },
    ...topicChecks(config, consumer, brokers),
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

/**
 * A check per topic named; for a pattern one check of every topic it matches now, which fails when
 * none does (the indexer would wait for one) or when any of them fails.
 */
function topicChecks(config: KafkaCheckConfig, consumer: KafkaProbe, brokers: string): Check[] {
  const selection = config.kafkaConsumerTopic;
  if (selection.pattern === undefined) {
    return selection.names.map((topic) => ({
      name: `topic ${topic}`,
      needs: brokers,
      run: () => consumer.topic(topic),
    }));
  }
  const [read] = topicsRead(config, consumer);
  return [
    {
      name: `topics matching ${String(selection)}`,
      needs: brokers,
      run: async () => {
        const topics = (await read?.topics()) ?? [];
        if (topics.length === 0) throw new Error('no topic matches (the indexer would wait for one)');
        const found = await Promise.allSettled(topics.map((topic) => consumer.topic(topic)));
        const lines = found.map((r, i) =>
          r.status === 'fulfilled' ? `${topics[i]} (${r.value})` : `${topics[i]}: ${errorText(r.reason)}`,
        );
        const summary = `${topics.length} topic(s): ${lines.join(', ')}`;
        if (found.some((r) => r.status === 'rejected')) throw new Error(summary);
        return summary;
      },
    },
  ];
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
  const get: Get = (path, signal) => search.get(path, signal);
  const allowed = config.elasticAllowedIndices;
  // Filled by the topic checks: the Arkime checks then look at the prefixes the sessions use.
  const named = new Set<string>();
  try {
    const results = await runChecks(
      [
        ...kafkaChecks(config, consumer, producer),
        ...searchChecks(get, allowed),
        ...topicDocumentChecks(
          topicsRead(config, consumer),
          (topic, signal) => consumer.newestMessages(topic, signal),
          config,
          brokers,
          named,
        ),
      ],
      print,
      checkTimeoutMs,
    );
    const targets = arkimeTargets(allowed, [...named]);
    results.push(
      ...(await runChecks(
        arkimeChecks(get, targets, clusterUrl(config), () => new Date()),
        print,
        checkTimeoutMs,
        results,
      )),
    );
    return results.every((r) => r.ok) ? 0 : 1;
  } finally {
    // Closing waits for nothing that matters here: the CLI exits right after.
    void consumer.close().catch(() => undefined);
    void producer?.close().catch(() => undefined);
    void search.close().catch(() => undefined);
  }
}
