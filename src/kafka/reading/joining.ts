// Joining the group: this member's subscription, held apart from the client's streams; when a join
// has really reached the brokers (what the consumer waits for before it fetches); and which
// refusals no retry fixes.
import type { Consumer, MessagesStream } from '@platformatic/kafka';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../telemetry/logger.js';
import {
  groupProtocolFailure,
  KafkaConnectionError,
  securityFailure,
  type KafkaSecurityConfig,
} from '../connection.js';

export type ClassicTimeoutsConfig = Pick<Config, 'kafkaConsumerIncrementalRebalance' | 'kafkaSessionTimeout'>;

export type RefusalConfig = KafkaSecurityConfig &
  Pick<Config, 'kafkaConsumerBrokers' | 'kafkaConsumerIncrementalRebalance' | 'kafkaConsumerGroupName'>;

export type GroupJoinConfig = ClassicTimeoutsConfig &
  RefusalConfig &
  Pick<Config, 'kafkaConsumerOffsetReset'>;

/**
 * The classic protocol's session timeout and heartbeat interval, for the client, each consume()
 * and each rejoin alike; none with KIP-848, whose coordinator sets them.
 */
export function classicTimeouts(config: ClassicTimeoutsConfig): {
  sessionTimeout?: number;
  heartbeatInterval?: number;
} {
  if (config.kafkaConsumerIncrementalRebalance) return {};
  return {
    sessionTimeout: config.kafkaSessionTimeout,
    heartbeatInterval: Math.max(100, Math.floor(config.kafkaSessionTimeout / 3)),
  };
}

/**
 * A certificate, password or mechanism the broker refuses, or a group protocol it does not run:
 * the error that says which, to stop with; undefined for any other error (a retry may help).
 */
export function refusal(error: unknown, config: RefusalConfig): KafkaConnectionError | undefined {
  const brokers = config.kafkaConsumerBrokers.join(',');
  const security = securityFailure(error, config);
  const protocol = groupProtocolFailure(error, config.kafkaConsumerIncrementalRebalance);
  if (security === undefined && protocol === undefined) return undefined;
  return new KafkaConnectionError(
    security !== undefined
      ? `Kafka consumer cannot connect to ${brokers}: ${security}`
      : `Kafka consumer cannot join the group ${JSON.stringify(config.kafkaConsumerGroupName)} at ${brokers}: ${protocol}`,
  );
}

/**
 * Resolves once the new stream has read its partitions' offsets from the brokers, rejects with its
 * error if it fails first. A member that is still in its group gets a stream without asking any
 * broker, so that `consume()` resolving says nothing: with every broker gone, each new stream
 * would fail at once, and each try would look like a recovery.
 */
export function answered(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
  return new Promise((resolve, reject) => {
    const forget = (): void => {
      stream.off('offsets', read);
      stream.off('error', failed);
      stream.off('close', closed);
    };
    const read = (): void => {
      forget();
      resolve();
    };
    const failed = (error: Error): void => {
      forget();
      reject(error);
    };
    const closed = (): void => failed(new Error('the consumer stream closed before it read its offsets'));
    stream.once('offsets', read);
    stream.once('error', failed);
    stream.once('close', closed);
  });
}

type GroupClient = Pick<
  Consumer<Buffer, Buffer, Buffer, Buffer>,
  'consume' | 'topics' | 'metadata' | 'joinGroup'
>;

/**
 * This member's place in the group. The client's stream joins (with either group protocol) and
 * tells when the brokers answered; it is then closed unread, the subscription held here, so that
 * the reader's own fetcher reads what the join assigned.
 */
export class GroupJoin {
  /** The topics this member subscribes to, held apart from any stream of the client's. */
  private held: string[] = [];

  constructor(
    private readonly client: GroupClient,
    private readonly config: GroupJoinConfig,
    private readonly logger: Logger,
  ) {}

  /**
   * Joins with `topics`, once the brokers have answered. Says whether topics were left out:
   * consume() joins again only when a topic was added, so the group must then be told (`rejoin`).
   */
  async join(topics: string[]): Promise<boolean> {
    // Topics no longer wanted leave the subscription before the join, which then has only these.
    const removed = this.held.filter((topic) => !topics.includes(topic));
    for (const topic of removed) this.client.topics.untrack(topic);
    this.held = this.held.filter((topic) => topics.includes(topic));
    const consuming = this.client.consume({
      topics,
      // With nothing committed, or a committed offset retention has deleted, reading goes on
      // from the oldest message kept (no session skipped) or the newest, as auto.offset.reset.
      mode: 'committed',
      fallbackMode: this.config.kafkaConsumerOffsetReset,
      autocommit: false,
      ...classicTimeouts(this.config),
    });
    const stream = await consuming.catch((error: unknown) => {
      // consume() counted the topics before it failed; its stream, which would uncount them, never came.
      this.client.topics.untrackAll(...topics);
      return this.failedToConnect(error);
    });
    try {
      await answered(stream);
    } finally {
      for (const topic of topics) if (!this.held.includes(topic)) this.client.topics.track(topic);
      this.held = [...topics];
      await stream.close();
    }
    return removed.length > 0;
  }

  /**
   * Has the group rebalance, so that the classic protocol's leader assigns what changed in
   * `topics` (KIP-848's coordinator assigns it by itself).
   */
  rejoin(topics: string[]): void {
    if (this.config.kafkaConsumerIncrementalRebalance) return;
    this.client
      .metadata({ topics, forceUpdate: true })
      .then(() => this.client.joinGroup(classicTimeouts(this.config)))
      .catch((error: unknown) =>
        this.logger.warn({ err: error }, 'rejoining the group failed; the next metadata refresh tries again'),
      );
  }

  /** A refusal no retry fixes stops with what to fix; any other error is thrown as it is. */
  failedToConnect(error: unknown): never {
    const refused = refusal(error, this.config);
    if (refused === undefined) throw error;
    this.logger.debug({ err: error }, 'consumer could not connect');
    throw refused;
  }
}
