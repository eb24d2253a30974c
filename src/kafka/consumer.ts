// The consumer side of Kafka: joins the group, hands out messages, commits what the pipeline
// says is done. Offsets are never committed automatically.
import { Consumer, type MessagesStream } from '@platformatic/kafka';
import type { Config } from '../config/schema.js';
import type { CommitPosition } from '../pipeline/offsets.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { KafkaConnectionError, kafkaSecurity, securityFailure } from './connection.js';
import { readAhead } from './read-ahead.js';

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: bigint;
  value: Buffer;
}

export interface Assignment {
  topic: string;
  partition: number;
}

export interface ConsumerEvents {
  /** The group is rebalancing: the current assignment is about to change. */
  onRebalance: () => void;
  /** Partitions this member no longer owns after a rebalance. */
  onRevoked: (partitions: Assignment[]) => void;
}

/**
 * The fetch options with the default settings (the benchmark's Kafka limit uses them too).
 * `maxBytes`: at most this much per fetch response (a larger record batch still comes whole).
 * The client's 10 MB default arrives as one burst that is held twice (the socket's chunks, and
 * the values copied out of them) before the pipeline sees it: 2 MiB fetches cost no more CPU
 * per message and keep about 15 MiB less resident (docs/benchmarks.md).
 */
export const fetchDefaults = { maxBytes: 2 * 1024 * 1024, highWaterMark: 10, maxWaitTime: 100 };

/**
 * Bytes of messages read ahead of the pipeline (and at least CONSUMER_CHANNEL_BUFFER_SIZE
 * messages): one fetch. Fetching resumes when half of it is left, so the next fetch travels while
 * the pipeline works through that half; more would only keep more messages alive (and promoted
 * into V8's old generation) without less waiting.
 */
export const readAheadBytes = fetchDefaults.maxBytes;

export class KafkaConsumer {
  private readonly consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private assigned = new Set<string>();

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly events: ConsumerEvents,
  ) {
    this.consumer = new Consumer({
      clientId: 'arkime-kafka-indexer',
      groupId: config.kafkaConsumerGroupName,
      bootstrapBrokers: config.kafkaConsumerBrokers,
      ...kafkaSecurity(config),
      ...(config.kafkaConsumerIncrementalRebalance
        ? { groupProtocol: 'consumer' as const }
        : {
            sessionTimeout: config.kafkaSessionTimeout,
            heartbeatInterval: Math.max(100, Math.floor(config.kafkaSessionTimeout / 3)),
          }),
    });
    this.consumer.on('consumer:group:join', (payload) => this.onJoin(payload.assignments ?? []));
    this.consumer.on('consumer:group:rebalance', () => {
      this.metrics.rebalances.inc({ reason: 'rebalance' });
      this.events.onRebalance();
    });
    this.consumer.on('consumer:heartbeat:error', ({ error }) => {
      this.metrics.consumeErrors.inc();
      this.logger.warn({ err: error }, 'consumer heartbeat failed');
    });
  }

  /** Joins the group; messages come from the returned iterable, in order within each partition. */
  async start(): Promise<AsyncIterable<ConsumedMessage>> {
    const consuming = this.consumer.consume({
      topics: [this.config.kafkaConsumerTopic],
      // With nothing committed yet, start from the oldest retained message: no session is skipped.
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
      maxWaitTime: this.config.kafkaPollTimeout,
      highWaterMark: this.config.consumerChannelBufferSize,
      maxBytes: fetchDefaults.maxBytes,
      ...(this.config.kafkaConsumerIncrementalRebalance
        ? {}
        : {
            sessionTimeout: this.config.kafkaSessionTimeout,
            heartbeatInterval: Math.max(100, Math.floor(this.config.kafkaSessionTimeout / 3)),
          }),
    });
    const stream = await consuming.catch((error: unknown) => this.failedToConnect(error));
    stream.on('error', (error) => {
      this.metrics.consumeErrors.inc();
      this.logger.error({ err: error }, 'consumer stream error');
    });
    this.stream = stream;
    return readAhead(stream, { bytes: readAheadBytes, messages: this.config.consumerChannelBufferSize });
  }

  /** A certificate, password or mechanism the broker refuses: say which and stop; a retry would not help. */
  private failedToConnect(error: unknown): never {
    const why = securityFailure(error, this.config);
    if (why === undefined) throw error;
    this.logger.debug({ err: error }, 'consumer could not connect');
    throw new KafkaConnectionError(
      `Kafka consumer cannot connect to ${this.config.kafkaConsumerBrokers.join(',')}: ${why}`,
    );
  }

  async commit(positions: CommitPosition[]): Promise<void> {
    if (positions.length === 0) return;
    await this.consumer.commit({ offsets: positions.map((p) => ({ ...p, leaderEpoch: -1 })) });
    this.metrics.offsetCommits.inc();
  }

  /** Stops fetching; messages already handed out stay valid. */
  async stopFetching(): Promise<void> {
    await this.stream?.close();
  }

  /** Leaves the group at once, so that partitions move without waiting for the session timeout. */
  async close(): Promise<void> {
    await this.stopFetching();
    // close(true) leaves the group at once; its boolean overload is typed as returning void.
    await new Promise<void>((resolve, reject) =>
      this.consumer.close(true, (error) => (error ? reject(error) : resolve())),
    );
  }

  private onJoin(assignments: { topic: string; partitions: number[] }[]): void {
    const now = new Set(assignments.flatMap((a) => a.partitions.map((p) => `${a.topic}\u0000${p}`)));
    const revoked = [...this.assigned].filter((key) => !now.has(key));
    this.assigned = now;
    this.logger.info({ assignments }, 'joined consumer group');
    if (revoked.length > 0) {
      this.metrics.lostAssignments.inc(revoked.length);
      this.events.onRevoked(
        revoked.map((key) => {
          const [topic, partition] = key.split('\u0000') as [string, string];
          return { topic, partition: Number(partition) };
        }),
      );
    }
  }
}
