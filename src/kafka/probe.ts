// Connection checks for `--check`: the brokers answer, a topic exists, a group's coordinator is
// reachable, with the same TLS and SASL options as the consumer and the failure producer. The
// caller bounds each check's time.
import { Admin, FindCoordinatorKeyTypes } from '@platformatic/kafka';
import type { Config } from '../config/schema.js';
import { errorTree } from '../retry.js';
import {
  KafkaConnectionError,
  kafkaSecurity,
  securityFailure,
  type KafkaSecurityConfig,
} from './connection.js';
import { TopicReader } from './topic-reader.js';

export class KafkaProbe {
  private readonly admin: Admin;

  constructor(
    private readonly brokers: string[],
    private readonly security: KafkaSecurityConfig,
    private readonly timeoutMs: number,
  ) {
    this.admin = new Admin({
      clientId: 'arkime-kafka-indexer-check',
      bootstrapBrokers: brokers,
      ...kafkaSecurity(security),
      connectTimeout: timeoutMs,
      timeout: timeoutMs,
      // A few quick retries: a new cluster answers "coordinator not available" until it has
      // created its offsets topic, on the first FindCoordinator.
      retries: 3,
      retryDelay: 300,
    });
  }

  /** "cluster <id>, N brokers (host:port, …)"; throws with the reason when the brokers do not answer. */
  async cluster(): Promise<string> {
    const metadata = await this.admin.metadata({ topics: [] }).catch((error: unknown) => this.fail(error));
    const brokers = [...metadata.brokers.values()].map((b) => `${b.host}:${b.port}`);
    return `cluster ${metadata.id}, ${brokers.length} broker(s): ${brokers.join(', ')}`;
  }

  /** The topics of the cluster, internal ones left out; throws the reason it could not be asked. */
  async topics(): Promise<string[]> {
    return this.admin.listTopics({ includeInternals: false }).catch((error: unknown) => this.fail(error));
  }

  /** "N partitions"; throws "does not exist" or the reason it could not be asked. */
  async topic(name: string): Promise<string> {
    const topics = await this.admin
      .listTopics({ includeInternals: false })
      .catch((error: unknown) => this.fail(error));
    if (!topics.includes(name)) throw new Error(`topic ${JSON.stringify(name)} does not exist`);
    const metadata = await this.admin
      .metadata({ topics: [name] })
      .catch((error: unknown) => this.fail(error));
    const topic = metadata.topics.get(name);
    const leaderless = topic?.partitions.filter((p) => p.leader < 0).length ?? 0;
    if (leaderless > 0) throw new Error(`${leaderless} of its partitions have no leader`);
    return `${topic?.partitionsCount ?? 0} partition(s)`;
  }

  /** "broker N (host:port)": the group's coordinator, found and connected to. */
  async coordinator(group: string): Promise<string> {
    const [found] = await this.admin
      .findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [group] })
      .catch((error: unknown) => this.fail(error));
    if (found === undefined || found.nodeId < 0) throw new Error('no coordinator found');
    await this.admin.connectToBrokers([found.nodeId]).catch((error: unknown) => this.fail(error));
    return `broker ${found.nodeId} (${found.host}:${found.port})`;
  }

  /**
   * The value of the newest message of each partition of `topic` (none from an empty one), read
   * in a group of its own (`arkime-kafka-indexer-check-<uuid>`) that commits nothing. Rejects when
   * `signal` aborts.
   */
  async newestMessages(topic: string, signal: AbortSignal): Promise<Buffer[]> {
    signal.throwIfAborted();
    const reader = new TopicReader(
      this.security,
      this.brokers,
      topic,
      { name: 'check', description: 'consumer' },
      this.timeoutMs,
    );
    const abandon = (): void => void reader.close();
    signal.addEventListener('abort', abandon, { once: true });
    try {
      const ranges = await reader.newest(1).catch((error: unknown) => this.fail(error));
      const values: Buffer[] = [];
      for await (const records of reader.read(ranges)) values.push(...records.map((r) => r.value));
      // Closing on abort ends the stream as if it were done: what was read is not all there is.
      signal.throwIfAborted();
      return values;
    } finally {
      signal.removeEventListener('abort', abandon);
      await reader.close();
    }
  }

  async close(): Promise<void> {
    await this.admin.close();
  }

  /** The reason in one line: TLS and SASL problems named by their variables, else the client's own words. */
  private fail(error: unknown): never {
    const security = securityFailure(error, this.security);
    if (security !== undefined) throw new Error(security);
    throw new Error(`${this.brokers.join(',')}: ${describe(error)}`);
  }
}

/** The deepest messages of the client's error tree (the ones that say what happened). */
function describe(error: unknown): string {
  // A leaf is an error with no error under it: its own tree is itself alone.
  const leaves = errorTree(error).filter((e) => errorTree(e).length === 1);
  return [...new Set(leaves.map((e) => e.message))].join('; ') || String(error);
}

/**
 * One connection to the brokers with the clients' TLS and SASL settings, without retries: the
 * reason they are refused when the settings are at fault (a certificate, a password, a
 * mechanism), else undefined (accepted, or no broker answering yet, which the clients' own
 * retries wait out). The clients retry each step several times over, nested (a group join four
 * times a coordinator lookup four times an API-version request): they take a minute to report a
 * refusal that no retry can fix. This takes one round trip.
 */
export async function securityRefusal(
  brokers: string[],
  security: KafkaSecurityConfig,
  timeoutMs = 10_000,
): Promise<string | undefined> {
  const admin = new Admin({
    clientId: 'arkime-kafka-indexer-preflight',
    bootstrapBrokers: brokers,
    ...kafkaSecurity(security),
    connectTimeout: timeoutMs,
    timeout: timeoutMs,
    retries: 0,
  });
  try {
    await admin.metadata({ topics: [] });
    return undefined;
  } catch (error) {
    return securityFailure(error, security);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

export type SecurityCheckConfig = KafkaSecurityConfig &
  Pick<Config, 'kafkaConsumerBrokers' | 'kafkaProducerBrokers'>;

/**
 * Stops start-up with the reason when the brokers refuse the TLS or SASL settings, instead of
 * after the clients' minute of retries: the consumer's brokers, and the failure producer's when
 * it produces to others (the same brokers are asked once).
 */
export async function checkKafkaSecurity(config: SecurityCheckConfig, producing: boolean): Promise<void> {
  const clients: [string, string[]][] = [['Kafka consumer', config.kafkaConsumerBrokers]];
  const producerElsewhere = config.kafkaProducerBrokers.join(',') !== config.kafkaConsumerBrokers.join(',');
  if (producing && producerElsewhere) clients.push(['Kafka failure producer', config.kafkaProducerBrokers]);
  for (const [client, brokers] of clients) {
    const refused = await securityRefusal(brokers, config);
    if (refused !== undefined) {
      throw new KafkaConnectionError(`${client} cannot connect to ${brokers.join(',')}: ${refused}`);
    }
  }
}
