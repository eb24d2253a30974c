// The consumer side of Kafka: joins the group, hands out messages, commits what the pipeline
// says is done. Offsets are never committed automatically.
import { ConnectionPool, Consumer } from '@platformatic/kafka';
import type { Config } from '../../config/schema.js';
import type { CommitPosition, MessageChunk, PartitionLag } from '../../records.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Metrics } from '../../telemetry/metrics.js';
import { flatten } from './assignment.js';
import { partitionLag } from './lag.js';
import { CommitQueue } from './commits.js';
import { committedSource, type CommittedSource } from './committed.js';
import { kafkaSecurity } from '../connection.js';
import { Fetcher, type FetcherEvents } from './fetcher.js';
import { fetcherOptions, type FetcherConfig } from './fetcher-options.js';
import { Leases } from './leases.js';
import { OutOfRangeLedger, reportSkipped, type SkippedMetrics } from './out-of-range.js';
import { readerReports, type ReaderMetrics, type ReaderReports } from './reader-events.js';
import { classicTimeouts, GroupJoin, type GroupJoinConfig } from './joining.js';
import { TopicSubscription, type SubscriptionConfig, type SubscriptionMetrics } from './subscription.js';
import { metadataSource, type MetadataSource } from './topic-metadata.js';
import { RebalanceWatch } from './rebalances.js';

/** What the consumer reads itself, and the slices of its parts. */
export type ConsumerConfig = GroupJoinConfig &
  SubscriptionConfig &
  FetcherConfig &
  Pick<
    Config,
    | 'kafkaConsumerGroupName'
    | 'kafkaConsumerBrokers'
    | 'kafkaConsumerIncrementalRebalance'
    | 'kafkaConsumerOffsetReset'
    | 'kafkaPollTimeout'
    | 'kafkaSessionTimeout'
  >;

export type ConsumerMetrics = ReaderMetrics &
  SkippedMetrics &
  SubscriptionMetrics &
  Pick<Metrics, 'offsetCommits' | 'consumeErrors'>;

export interface ConsumerEvents {
  /**
   * The assignment is changing (classic protocol: the group is rebalancing) or has just lost
   * partitions (KIP-848, which announces nothing before): a good moment to commit what is done.
   */
  onRebalance: () => void;
  /** The consumer joined the group (again, after each classic rebalance; once with KIP-848). */
  onJoined?: () => void;
}

export class KafkaConsumer {
  private readonly consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  /** Connections for fetching, apart from the group's (a fetch waits up to KAFKA_POLL_TIMEOUT). */
  private readonly pool: ConnectionPool;
  private fetcher: Fetcher | undefined;
  /** The topics the current fetcher reads (several with a comma list or a pattern). */
  private topics: string[] = [];
  private readonly subscription: TopicSubscription;
  /** Set when a pattern's topics changed: the stream is closed and one on these opened. */
  private wanted: string[] | undefined;
  private wake: (() => void) | undefined;
  private stopping = false;
  private readonly skipped: ReturnType<typeof reportSkipped>;
  /** Per topic: what was skipped as out of range, so that a range is reported once. */
  private readonly ledgers = new Map<string, OutOfRangeLedger>();
  private events: ConsumerEvents = { onRebalance: () => undefined };
  private readonly leases = new Leases();
  private readonly commits: CommitQueue;
  private readonly metadata: MetadataSource;
  private readonly committed: CommittedSource;
  private readonly fetcherEvents: FetcherEvents;
  private readonly reports: ReaderReports;
  private readonly group: GroupJoin;
  private readonly rebalances: RebalanceWatch;

  constructor(
    private readonly config: ConsumerConfig,
    private readonly logger: Logger,
    private readonly metrics: ConsumerMetrics,
  ) {
    this.consumer = new Consumer({
      clientId: 'arkime-kafka-indexer',
      groupId: config.kafkaConsumerGroupName,
      bootstrapBrokers: config.kafkaConsumerBrokers,
      ...kafkaSecurity(config),
      ...(config.kafkaConsumerIncrementalRebalance ? { groupProtocol: 'consumer' as const } : {}),
      ...classicTimeouts(config),
    });
    // A fetch may wait KAFKA_POLL_TIMEOUT for data: the connection must wait longer for its answer.
    this.pool = new ConnectionPool('arkime-kafka-indexer', {
      ...kafkaSecurity(config),
      requestTimeout: Math.max(30_000, config.kafkaPollTimeout + 30_000),
    });
    this.group = new GroupJoin(this.consumer, config, logger);
    this.skipped = reportSkipped(logger, metrics, config.kafkaConsumerOffsetReset);
    this.metadata = metadataSource(this.pool, config.kafkaConsumerBrokers);
    this.committed = committedSource(this.consumer, this.pool, this.metadata);
    this.subscription = new TopicSubscription(config, logger, metrics, this.metadata, {
      changed: (topics) => this.resubscribe(topics),
      repartitioned: () => this.rejoin(),
    });
    this.commits = new CommitQueue({
      client: this.consumer,
      owns: (topic, partition) => this.rebalances.owns(topic, partition),
      settling: () => this.rebalances.settling(),
      rejoin: () => this.rejoin(),
      stuckMs: Math.max(30_000, 5 * config.kafkaSessionTimeout),
      heartbeatWaitMs: config.kafkaSessionTimeout,
      committed: () => metrics.offsetCommits.inc(),
    });
    this.reports = readerReports(logger, metrics, config.kafkaConsumerOffsetReset);
    this.fetcherEvents = {
      ...this.reports,
      missing: () => void this.subscription.refresh(),
      started: (positions) => {
        this.commits
          .commit(positions)
          .catch((error: unknown) =>
            this.logger.warn({ err: error }, 'committing the start positions failed'),
          );
      },
    };
    this.rebalances = new RebalanceWatch(this.consumer, this.reports, this.leases, {
      topics: () => this.topics,
      reposition: (assigned) => this.fetcher?.reposition(assigned),
      rebalancing: () => this.events.onRebalance(),
      joined: () => this.events.onJoined?.(),
    });
    this.consumer.on('consumer:heartbeat:error', ({ error }) => {
      this.metrics.consumeErrors.inc();
      this.logger.warn({ err: error }, 'consumer heartbeat failed');
    });
    // The client's rejoin after a heartbeat asked for one failed (its retries spent): it sends no
    // heartbeat since, and an 'error' event nobody listens to would throw. Join again.
    this.consumer.on('error', (error: unknown) => {
      this.metrics.consumeErrors.inc();
      this.logger.warn({ err: error }, 'rejoining the consumer group failed; joining again');
      this.rejoin();
    });
  }

  /**
   * Who is told of the group's changes: set before `start()`, once whoever takes the messages
   * exists (it needs this consumer first).
   */
  listen(events: ConsumerEvents): void {
    this.events = events;
  }

  /** Joins the group; messages come from the returned iterable in chunks, in order within each partition. */
  async start(): Promise<AsyncIterable<MessageChunk>> {
    this.wanted = undefined;
    const topics = await this.subscription
      .topics()
      .catch((error: unknown) => this.group.failedToConnect(error));
    const fetcher = topics.length === 0 ? undefined : await this.open(topics);
    return this.messages(fetcher);
  }

  /**
   * The messages of `first`, then of each fetcher opened when a pattern's topics change, so that
   * the fetch loop sees one iterable. With no topic matching yet, waits for one. Messages the
   * stopped fetcher had fetched and not handed out are read again by the next one from the
   * commits; those already handed out are skipped by the offset tracker, as after any rebalance.
   */
  private async *messages(first: Fetcher | undefined): AsyncGenerator<MessageChunk, void, undefined> {
    let fetcher = first;
    for (;;) {
      // A change or a stop may come while a fetcher is being opened: then it is not read.
      const settled = (): boolean => this.wanted === undefined && !this.stopping;
      if (fetcher !== undefined && settled()) {
        try {
          yield* fetcher.read();
        } catch (error) {
          this.metrics.consumeErrors.inc();
          this.logger.error({ err: error }, 'consumer fetch failed');
          throw error;
        }
      } else if (fetcher === undefined && settled()) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
      fetcher?.stop();
      if (this.stopping) return;
      const next = this.wanted;
      this.wanted = undefined;
      if (next === undefined) return;
      fetcher = next.length === 0 ? undefined : await this.open(next);
    }
  }

  /** A pattern's topics changed: stop the current fetcher (the generator above opens the next). */
  private resubscribe(topics: string[]): void {
    if (this.stopping) return;
    this.wanted = topics;
    this.wake?.();
    this.fetcher?.stop();
  }

  /** A fetcher on `topics`, once the member has joined the group with them (./joining.ts). */
  private async open(topics: string[]): Promise<Fetcher> {
    // Before joining: the join's assignment is logged, and its lag asked, for these topics.
    this.topics = topics;
    // consume() joins again only when a topic was added: the group must also hear of one removed.
    if (await this.group.join(topics)) this.rejoin();
    for (const ledger of this.ledgers.values()) ledger.restarted();
    const fetcher = new Fetcher(
      {
        group: this.consumer,
        committed: this.committed,
        pool: this.pool,
        metadata: this.metadata,
        leases: this.leases,
        events: this.fetcherEvents,
      },
      fetcherOptions(this.config, topics, this.skipped, (topic) => this.ledger(topic)),
      // Read from the commits, as the stream would have. Not the positions the stream read: an
      // assignment changed by a heartbeat while it closed would find a partition it never asked
      // the commit of at its earliest (or latest) offset.
      flatten(this.consumer.assignments),
      this.fetcher?.position ?? new Map(),
    );
    this.fetcher = fetcher;
    return fetcher;
  }

  private ledger(topic: string): OutOfRangeLedger {
    let ledger = this.ledgers.get(topic);
    if (ledger === undefined) this.ledgers.set(topic, (ledger = new OutOfRangeLedger(topic)));
    return ledger;
  }

  /**
   * Commits after every commit asked before, the partitions this member still owns only
   * (./commits.ts); resolves with the positions committed.
   */
  commit(positions: CommitPosition[]): Promise<CommitPosition[]> {
    if (positions.length === 0) return Promise.resolve([]);
    return this.commits.commit(positions);
  }

  /**
   * Partitions were added to a topic read: the classic protocol's leader assigns them only when
   * the group rebalances, so this member asks for one (KIP-848's coordinator assigns them itself).
   */
  private rejoin(): void {
    if (!this.stopping) this.group.rejoin(this.topics);
  }

  /**
   * The lag of each assigned partition of the topics read, asked from the brokers (./lag.ts).
   * The client's own view of the assignment: with the KIP-848 protocol the join event carries none.
   */
  lag(): Promise<PartitionLag[]> {
    const assigned = (this.consumer.assignments ?? []).filter((a) => this.topics.includes(a.topic));
    return partitionLag(this.consumer, assigned);
  }

  /**
   * Stops fetching; messages already handed out stay valid. The member keeps its subscription,
   * and so its partitions, until `close()`: they move once what was taken is committed, not while
   * this member is still finishing it.
   */
  stopFetching(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.fetcher?.stop();
    return Promise.resolve();
  }

  /**
   * Leaves the group at once, so that partitions move without waiting for the session timeout.
   * Never rejects: shutdown goes on to close the rest, and the failure is logged.
   */
  async close(): Promise<void> {
    try {
      await this.stopFetching();
      await this.consumer.close(true);
    } catch (error) {
      this.logger.warn({ err: error }, 'closing the consumer failed');
    } finally {
      await this.pool
        .close()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'closing the fetch connections failed'));
    }
    this.subscription.stop();
  }
}
