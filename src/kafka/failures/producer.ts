// Documents the search cluster refused, produced to KAFKA_PRODUCER_TOPIC: the action line and
// document line exactly as received (so the record can be replayed as it is), and headers that
// say why and where from. Produced with acks=all: a failure counts as handled only once durable.
// `replay` produces the documents refused again with it too, to a topic of its own.
import { ProduceAcks, Producer } from '@platformatic/kafka';
import type { Config } from '../../config/schema.js';
import type { FailedDocument } from '../../records.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Metrics } from '../../telemetry/metrics.js';
import {
  KafkaConnectionError,
  kafkaSecurity,
  securityFailure,
  type KafkaSecurityConfig,
} from '../connection.js';

export type FailureProducerConfig = KafkaSecurityConfig &
  Pick<
    Config,
    | 'kafkaProducerTopic'
    | 'kafkaProducerBrokers'
    | 'kafkaProducerMsgRetries'
    | 'kafkaProducerFullQueueCooldown'
    | 'kafkaProducerMsgTimeout'
    | 'kafkaProducerLogDeliveryReports'
  >;

export type FailureProducerMetrics = Pick<Metrics, 'produceErrors' | 'producedMessageBytes' | 'produced'>;

function headers(failure: FailedDocument): Map<Buffer, Buffer> {
  const values: Record<string, string | undefined> = {
    'aki.error.type': failure.errorType,
    'aki.error.reason': failure.reason,
    'aki.error.status': failure.status?.toString(),
    'aki.index': failure.index,
    'aki.id': failure.id,
    'aki.source.topic': failure.source.topic,
    'aki.source.topic-id': failure.source.topicId === '' ? undefined : failure.source.topicId,
    'aki.source.partition': String(failure.source.partition),
    'aki.source.offset': failure.source.offset.toString(),
    'aki.source.position': failure.position?.toString(),
    'aki.time': new Date().toISOString(),
  };
  return new Map(
    Object.entries(values)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([key, value]) => [Buffer.from(key), Buffer.from(value)]),
  );
}

export class FailureProducer {
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;

  constructor(
    private readonly config: FailureProducerConfig,
    private readonly logger: Logger,
    private readonly metrics: FailureProducerMetrics,
    private readonly topic: string = config.kafkaProducerTopic,
  ) {
    this.producer = new Producer({
      clientId: 'arkime-kafka-indexer-failures',
      bootstrapBrokers: config.kafkaProducerBrokers,
      retries: config.kafkaProducerMsgRetries,
      retryDelay: config.kafkaProducerFullQueueCooldown,
      timeout: config.kafkaProducerMsgTimeout,
      ...kafkaSecurity(config),
    });
  }

  /** Resolves once every record is acknowledged by all in-sync replicas; rejects if any is not. */
  async send(failures: FailedDocument[]): Promise<void> {
    if (failures.length === 0) return;
    try {
      await this.producer.send({
        // Per send: the client (2.12.1) never applies a constructor's `acks` to its requests and
        // sends acks=1 unless idempotent. With acks=1 a leader moving away (a rolling restart's
        // controlled shutdown) can drop records it already acknowledged: 10–20 of 9,000 records
        // of an acks=1 producer on the three-broker cluster.
        acks: ProduceAcks.ALL,
        messages: failures.map((failure) => ({
          topic: this.topic,
          value: failure.bytes,
          headers: headers(failure),
        })),
      });
    } catch (error) {
      this.metrics.produceErrors.inc(failures.length);
      const why = securityFailure(error, this.config);
      if (why === undefined) throw error;
      throw new KafkaConnectionError(
        `Kafka failure producer cannot connect to ${this.config.kafkaProducerBrokers.join(',')}: ${why}`,
      );
    }
    for (const failure of failures) this.metrics.producedMessageBytes.observe(failure.bytes.length);
    this.metrics.produced.inc(failures.length);
    if (this.config.kafkaProducerLogDeliveryReports) {
      this.logger.info({ topic: this.topic, count: failures.length }, 'failed documents produced');
    }
  }

  /**
   * Asks the brokers for the topic, creating it where they create topics on demand
   * (auto.create.topics.enable): `replay` writes to a topic that may not exist yet.
   */
  async ensureTopic(): Promise<void> {
    try {
      await this.producer.metadata({ topics: [this.topic], autocreateTopics: true });
    } catch (error) {
      const why = securityFailure(error, this.config);
      if (why !== undefined) {
        throw new KafkaConnectionError(
          `Kafka failure producer cannot connect to ${this.config.kafkaProducerBrokers.join(',')}: ${why}`,
        );
      }
      throw new KafkaConnectionError(
        `topic ${this.topic} does not exist and the brokers did not create it (${error instanceof Error ? error.message : String(error)}): create it`,
      );
    }
  }

  /** Never rejects: shutdown goes on to close the rest, and the failure is logged. */
  async close(): Promise<void> {
    await this.producer
      .close()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'closing the producer failed'));
  }
}
