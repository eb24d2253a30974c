// Which topics the consumer reads, watched every KAFKA_METADATA_REFRESH as librdkafka's
// topic.metadata.refresh.interval.ms does:
//   - a regular expression: the Kafka client has nothing for it (@platformatic/kafka 2.12 sends
//     no topic regex to the group, and a stream fetches only the topics it was opened with), so
//     the topics are listed and the matching set read;
//   - named topics: those that exist are read. One that does not (deleted, or not created yet) is
//     a warning, not a stop: the client's group calls ask metadata for every subscribed topic and
//     fail as a whole on one unknown topic, so it leaves the subscription until it exists again;
//   - partitions added to a topic read: the classic protocol reassigns nothing by itself, so the
//     consumer has the group rebalance (KIP-848's coordinator assigns them on its own).
import { Admin } from '@platformatic/kafka';
import type { Config } from '../../config/schema.js';
import { failureTopics } from '../../config/topics.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Metrics } from '../../telemetry/metrics.js';
import { kafkaSecurity, type KafkaSecurityConfig } from '../connection.js';
import type { MetadataSource } from './topic-metadata.js';

export type SubscriptionConfig = Pick<
  Config,
  'kafkaConsumerTopic' | 'kafkaMetadataRefresh' | 'kafkaProducerTopic' | 'kafkaConsumerBrokers'
> &
  KafkaSecurityConfig;

export type SubscriptionMetrics = Pick<Metrics, 'topicsMissing'>;

export interface SubscriptionEvents {
  /** The topics to read are now `topics` (a pattern matches others, a named topic went or came back). */
  changed: (topics: string[]) => void;
  /** A topic read has more partitions than before (or fewer: created again with fewer). */
  repartitioned: (topic: string, before: number, after: number) => void;
}

/** Topics in `after` and not in `before`, and the reverse. */
export function topicChange(
  before: readonly string[],
  after: readonly string[],
): { added: string[]; removed: string[] } {
  return {
    added: after.filter((t) => !before.includes(t)),
    removed: before.filter((t) => !after.includes(t)),
  };
}

export class TopicSubscription {
  private admin: Admin | undefined;
  private timer: NodeJS.Timeout | undefined;
  private listing = false;
  private current: string[] = [];
  private partitions = new Map<string, number>();
  private missing: string[] = [];
  private listFailing = false;
  /** Never consumed though a pattern matches them (the failure topics). */
  private readonly excluded: ReadonlySet<string>;

  constructor(
    private readonly config: SubscriptionConfig,
    private readonly logger: Logger,
    private readonly metrics: SubscriptionMetrics,
    private readonly metadata: MetadataSource,
    private readonly events: SubscriptionEvents,
  ) {
    this.excluded = failureTopics(config.kafkaProducerTopic);
  }

  get isPattern(): boolean {
    return this.config.kafkaConsumerTopic.pattern !== undefined;
  }

  /**
   * The topics to read now, possibly none (rejects when no broker answers). Starts watching for
   * changes the first time.
   */
  async topics(): Promise<string[]> {
    const { next, partitions, missing } = await this.look();
    this.current = next;
    this.partitions = partitions;
    this.reportMissing(missing);
    if (next.length === 0 && this.isPattern) this.warnNoneMatch();
    this.watch();
    return this.current;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    void this.admin?.close().catch(() => undefined);
    this.admin = undefined;
  }

  /** One look; a look still running is not overlapped, and a failed one changes nothing. */
  async refresh(): Promise<void> {
    if (this.listing || this.timer === undefined) return;
    this.listing = true;
    try {
      const { next, partitions, missing } = await this.look();
      if (this.listFailing) this.logger.info('reading the topics metadata works again');
      this.listFailing = false;
      this.reportMissing(missing);
      for (const [topic, after] of partitions) {
        const before = this.partitions.get(topic);
        if (before === undefined || after === before) continue;
        // Fewer only when the topic was created again with fewer: the assignment must lose them too.
        this.logger.info(
          { topic, before, after },
          after > before ? 'partitions added: rejoining the group' : 'partitions gone: rejoining the group',
        );
        this.events.repartitioned(topic, before, after);
      }
      this.partitions = partitions;
      const { added, removed } = topicChange(this.current, next);
      if (added.length === 0 && removed.length === 0) return;
      this.current = next;
      if (this.isPattern) {
        this.logger.info(
          { pattern: String(this.config.kafkaConsumerTopic), topics: next, added, removed },
          'topics matching KAFKA_CONSUMER_TOPIC changed: rejoining the group with them',
        );
        if (next.length === 0) this.warnNoneMatch();
      }
      this.events.changed(next);
    } catch (error) {
      // One line a streak: the consumer's own errors say more when the brokers are gone.
      if (!this.listFailing)
        this.logger.warn({ err: error }, 'reading the topics metadata failed; will try again');
      this.listFailing = true;
    } finally {
      this.listing = false;
    }
  }

  /** The topics that exist and are to be read, their partition counts, and the named ones missing. */
  private async look(): Promise<{ next: string[]; partitions: Map<string, number>; missing: string[] }> {
    const selection = this.config.kafkaConsumerTopic;
    const wanted = this.isPattern
      ? selection.select(await this.lister().listTopics({ includeInternals: false }), this.excluded)
      : selection.select([], this.excluded);
    if (wanted.length === 0) return { next: [], partitions: new Map(), missing: [] };
    const view = await this.metadata(wanted);
    const next = wanted.filter((topic) => view.topics.has(topic));
    const partitions = new Map(next.map((topic) => [topic, view.topics.get(topic)?.partitions.length ?? 0]));
    return { next, partitions, missing: this.isPattern ? [] : view.missing };
  }

  private reportMissing(missing: string[]): void {
    for (const topic of missing) {
      if (!this.missing.includes(topic)) {
        this.logger.warn(
          { topic, refreshMs: this.config.kafkaMetadataRefresh },
          'a topic of KAFKA_CONSUMER_TOPIC does not exist: reading the others',
        );
      }
    }
    for (const topic of this.missing) {
      if (!missing.includes(topic))
        this.logger.info({ topic }, 'a topic of KAFKA_CONSUMER_TOPIC exists again: reading it');
    }
    this.missing = missing;
    this.metrics.topicsMissing.set(missing.length);
  }

  private watch(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.refresh(), this.config.kafkaMetadataRefresh);
    this.timer.unref();
  }

  private warnNoneMatch(): void {
    this.logger.warn(
      { pattern: String(this.config.kafkaConsumerTopic), refreshMs: this.config.kafkaMetadataRefresh },
      'no topic matches KAFKA_CONSUMER_TOPIC yet; looking again every KAFKA_METADATA_REFRESH',
    );
  }

  private lister(): Admin {
    this.admin ??= new Admin({
      clientId: 'arkime-kafka-indexer-topics',
      bootstrapBrokers: this.config.kafkaConsumerBrokers,
      ...kafkaSecurity(this.config),
    });
    return this.admin;
  }
}
