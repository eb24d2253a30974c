// Which topics the consumer reads. Named topics are read as named. For a regular expression the
// Kafka client has nothing: @platformatic/kafka 2.12.1 sends no topic regex to the group (its
// KIP-848 heartbeat passes null) and a stream fetches only the topics it was opened with. So the
// topics are listed every KAFKA_METADATA_REFRESH, and when the matching set changes the consumer
// opens a stream on the new set, which rejoins the group with it (consumer.ts).
import { Admin } from '@platformatic/kafka';
import type { Config } from '../config/schema.js';
import { failureTopics } from '../config/topics.js';
import type { Logger } from '../telemetry/logger.js';
import { kafkaSecurity } from './connection.js';

export type SubscriptionConfig = Pick<
  Config,
  'kafkaConsumerTopic' | 'kafkaMetadataRefresh' | 'kafkaProducerTopic' | 'kafkaConsumerBrokers'
> &
  Parameters<typeof kafkaSecurity>[0];

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
  private listFailing = false;
  /** Never consumed though a pattern matches them (the failure topics). */
  private readonly excluded: ReadonlySet<string>;

  constructor(
    private readonly config: SubscriptionConfig,
    private readonly logger: Logger,
    /** Told the new set of topics each time it changes (patterns only). */
    private readonly onChange: (topics: string[]) => void,
  ) {
    this.excluded = failureTopics(config.kafkaProducerTopic);
  }

  get isPattern(): boolean {
    return this.config.kafkaConsumerTopic.pattern !== undefined;
  }

  /**
   * The topics to read now; for a pattern, listed from the brokers (rejects when they do not
   * answer), possibly none. Starts watching for changes the first time.
   */
  async topics(): Promise<string[]> {
    const selection = this.config.kafkaConsumerTopic;
    if (!this.isPattern) return selection.select([], this.excluded);
    const existing = await this.lister().listTopics({ includeInternals: false });
    this.current = selection.select(existing, this.excluded);
    if (this.current.length === 0) this.warnNoneMatch();
    this.watch();
    return this.current;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    void this.admin?.close().catch(() => undefined);
    this.admin = undefined;
  }

  private watch(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.refresh(), this.config.kafkaMetadataRefresh);
    this.timer.unref();
  }

  /** One listing; a listing still running is not overlapped, and a failed one changes nothing. */
  async refresh(): Promise<void> {
    if (this.listing || this.admin === undefined) return;
    this.listing = true;
    try {
      const existing = await this.admin.listTopics({ includeInternals: false });
      if (this.listFailing) this.logger.info('listing the topics works again');
      this.listFailing = false;
      const next = this.config.kafkaConsumerTopic.select(existing, this.excluded);
      const { added, removed } = topicChange(this.current, next);
      if (added.length === 0 && removed.length === 0) return;
      this.current = next;
      this.logger.info(
        { pattern: String(this.config.kafkaConsumerTopic), topics: next, added, removed },
        'topics matching KAFKA_CONSUMER_TOPIC changed: rejoining the group with them',
      );
      if (next.length === 0) this.warnNoneMatch();
      this.onChange(next);
    } catch (error) {
      // One line a streak: the consumer's own errors say more when the brokers are gone.
      if (!this.listFailing) this.logger.warn({ err: error }, 'listing the topics failed; will try again');
      this.listFailing = true;
    } finally {
      this.listing = false;
    }
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
