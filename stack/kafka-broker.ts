import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { buildOnce, cacheDir, mavenCopyWithDependencies, runCommand } from './artifacts.js';
import { findJdk } from './java.js';
import { freePort } from './ports.js';
import { ManagedServer } from './managed-server.js';
import { ServerProcess } from './server-process.js';

export type KafkaSecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

/**
 * One client listener of the broker. The first one is the inter-broker listener and the one the
 * readiness check uses, so it should be PLAINTEXT; SSL and SASL ones go beside it (see
 * `saslListenerProperties` and certificates.ts).
 */
export interface KafkaListener {
  name: string;
  protocol: KafkaSecurityProtocol;
}

export interface KafkaBrokerOptions {
  version: string;
  /** The folder this broker's data, configuration and log go to. */
  dir: string;
  listeners?: KafkaListener[];
  /** Extra server.properties (SSL stores, SASL settings, …), written after the defaults. */
  properties?: Record<string, string>;
  /** Extra arguments to the storage format (e.g. `scramUser(...)` to create SCRAM users). */
  formatArguments?: string[];
  heapMb?: number;
  /** A node of a cluster (kafka-cluster.ts); without it, the broker is a cluster of its own. */
  member?: KafkaClusterMember;
}

/** Where a node stands in a KRaft cluster whose every node is both broker and controller. */
export interface KafkaClusterMember {
  nodeId: number;
  /** Node id → controller port of every voter of the quorum, this node's included. */
  voters: ReadonlyMap<number, number>;
  /** Shared by every node: they are formatted with it, and refuse a peer that has another. */
  clusterId: string;
}

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/**
 * The storage format arguments that create a SCRAM user before the broker first starts (KRaft
 * stores SCRAM credentials in the metadata log; this is kafka-storage's `--add-scram`).
 */
export function scramUser(
  mechanism: Exclude<SaslMechanism, 'PLAIN'>,
  name: string,
  password: string,
): string[] {
  return ['--add-scram', `${mechanism}=[name=${name},password=${password}]`];
}

/**
 * server.properties enabling `mechanisms` on the SASL listener `listener`; `plainUsers` are the
 * PLAIN users and their passwords (SCRAM users come from `scramUser`).
 */
export function saslListenerProperties(
  listener: string,
  mechanisms: SaslMechanism[],
  plainUsers: Record<string, string> = {},
): Record<string, string> {
  const prefix = `listener.name.${listener.toLowerCase()}`;
  const properties: Record<string, string> = {
    [`${prefix}.sasl.enabled.mechanisms`]: mechanisms.join(','),
  };
  for (const mechanism of mechanisms) {
    const users = Object.entries(plainUsers).map(([user, password]) => ` user_${user}="${password}"`);
    properties[`${prefix}.${mechanism.toLowerCase()}.sasl.jaas.config`] =
      mechanism === 'PLAIN'
        ? `org.apache.kafka.common.security.plain.PlainLoginModule required${users.join('')};`
        : 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  }
  return properties;
}

const slf4jBinding = 'org.apache.logging.log4j:log4j-slf4j-impl:2.25.3';

/** Fetches the broker's classpath from Maven Central once into the cache. */
export async function installKafka(version: string): Promise<string> {
  return buildOnce(join(cacheDir(), `kafka-${version}`), async (dir) => {
    await mavenCopyWithDependencies(
      [`org.apache.kafka:kafka_2.13:${version}`, slf4jBinding],
      join(dir, 'libs'),
    );
  });
}

/**
 * A KRaft cluster id: 16 random bytes in URL-safe base64, as `kafka-storage random-uuid` makes
 * them. Kafka's own generator never lets one start with '-' (a command line would read it as an
 * option); clearing the first byte's top bit does the same here, since base64 then starts with
 * one of 'A'-'Z' or 'a'-'f'. It is also passed as `--cluster-id=<id>`, which no value can break.
 */
export function kafkaClusterId(random: (size: number) => Buffer = randomBytes): string {
  const bytes = random(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('base64url');
}

export interface ServerPropertiesInput {
  member: KafkaClusterMember;
  listeners: KafkaListener[];
  /** Listener name → port. */
  ports: ReadonlyMap<string, number>;
  dataDir: string;
  /** Written after the defaults, so they win. */
  extra: Record<string, string>;
}

/**
 * The server.properties of a combined broker and controller. A lone node replicates nothing; a
 * node of a cluster gets what production runs: every topic (the internal ones too) on three
 * replicas, of which two must have a write before it is acknowledged to an `acks=all` producer.
 */
export function serverProperties(input: ServerPropertiesInput): string {
  const { member, listeners, ports } = input;
  const controllerPort = member.voters.get(member.nodeId);
  if (controllerPort === undefined) throw new Error(`node ${member.nodeId} is not among the voters`);
  const address = (l: KafkaListener): string => `${l.name}://127.0.0.1:${ports.get(l.name)}`;
  const replicas = String(Math.min(3, member.voters.size));
  const minInSync = String(Math.min(2, member.voters.size));
  const properties: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(member.nodeId),
    'controller.quorum.voters': [...member.voters].map(([id, port]) => `${id}@127.0.0.1:${port}`).join(','),
    'controller.listener.names': 'CONTROLLER',
    listeners: [...listeners.map(address), `CONTROLLER://127.0.0.1:${controllerPort}`].join(','),
    'advertised.listeners': listeners.map(address).join(','),
    'listener.security.protocol.map': [
      ...listeners.map((l) => `${l.name}:${l.protocol}`),
      'CONTROLLER:PLAINTEXT',
    ].join(','),
    'inter.broker.listener.name': listeners[0]?.name ?? 'PLAINTEXT',
    'log.dirs': input.dataDir,
    'num.partitions': '1',
    'offsets.topic.replication.factor': replicas,
    'offsets.topic.num.partitions': '10',
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': minInSync,
    'share.coordinator.state.topic.replication.factor': replicas,
    'share.coordinator.state.topic.min.isr': minInSync,
    ...(member.voters.size > 1 && {
      'default.replication.factor': replicas,
      'min.insync.replicas': minInSync,
    }),
    // Tests join groups constantly; the default 3 s delay would slow every one of them.
    'group.initial.rebalance.delay.ms': '0',
    // Arkime's bulk messages approach 1 MB; leave room for larger dbBulkSize settings.
    'message.max.bytes': String(10 * 1024 * 1024),
    ...input.extra,
  };
  return Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
}

/**
 * Apache Kafka in KRaft mode on loopback, each node both broker and controller: alone (the fast
 * tests' single broker), or one node of a cluster (kafka-cluster.ts).
 */
export class KafkaBroker extends ManagedServer {
  private constructor(
    readonly options: KafkaBrokerOptions,
    /** Listener name → port. */
    readonly ports: ReadonlyMap<string, number>,
    readonly member: KafkaClusterMember,
  ) {
    super();
  }

  static async create(options: KafkaBrokerOptions): Promise<KafkaBroker> {
    const listeners = options.listeners ?? [{ name: 'PLAINTEXT', protocol: 'PLAINTEXT' }];
    const ports = new Map<string, number>();
    for (const listener of listeners) ports.set(listener.name, await freePort());
    const member = options.member ?? {
      nodeId: 1,
      voters: new Map([[1, await freePort()]]),
      clusterId: kafkaClusterId(),
    };
    return new KafkaBroker({ ...options, listeners }, ports, member);
  }

  get name(): string {
    return this.options.member === undefined
      ? `kafka ${this.options.version}`
      : `kafka ${this.options.version} node ${this.member.nodeId}`;
  }

  get nodeId(): number {
    return this.member.nodeId;
  }

  /** host:port of a listener, PLAINTEXT unless another is named. */
  bootstrap(listener = 'PLAINTEXT'): string {
    const port = this.ports.get(listener);
    if (port === undefined) throw new Error(`${this.name} has no listener named ${listener}`);
    return `127.0.0.1:${port}`;
  }

  protected async prepare(): Promise<ServerProcess> {
    const home = await installKafka(this.options.version);
    const jdk = findJdk(17);
    const java = join(jdk.home, 'bin', 'java');
    const dir = this.options.dir;
    mkdirSync(join(dir, 'data'), { recursive: true });
    const config = join(dir, 'server.properties');
    writeFileSync(
      config,
      serverProperties({
        member: this.member,
        listeners: this.options.listeners ?? [],
        ports: this.ports,
        dataDir: join(dir, 'data'),
        extra: this.options.properties ?? {},
      }),
    );
    const log4j = join(dir, 'log4j2.properties');
    writeFileSync(
      log4j,
      [
        'rootLogger.level=INFO',
        'rootLogger.appenderRef.stdout.ref=STDOUT',
        'appender.stdout.type=Console',
        'appender.stdout.name=STDOUT',
        'appender.stdout.layout.type=PatternLayout',
        'appender.stdout.layout.pattern=[%d] %p %m (%c)%n',
        '',
      ].join('\n'),
    );
    const classpath = ['-cp', `${join(home, 'libs')}/*`, `-Dlog4j2.configurationFile=${log4j}`];
    await runCommand(
      java,
      [
        ...classpath,
        'kafka.tools.StorageTool',
        'format',
        `--cluster-id=${this.member.clusterId}`,
        '-c',
        config,
        ...(this.options.formatArguments ?? []),
      ],
      `formatting the storage of ${this.name}`,
    );
    const heap = `${this.options.heapMb ?? 512}m`;
    return new ServerProcess({
      name: `${this.name} (${this.bootstrap()})`,
      command: java,
      args: [
        `-Xms${heap}`,
        `-Xmx${heap}`,
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        ...classpath,
        'kafka.Kafka',
        config,
      ],
      env: { PATH: process.env['PATH'], LANG: 'C.UTF-8' },
      cwd: dir,
      logFile: join(dir, 'kafka.log'),
      isReady: () => this.answersMetadata(),
    });
  }

  /**
   * Ready means a real client gets metadata naming this node: it has registered with the
   * controllers (so a cluster's quorum answers), not merely opened its port.
   */
  private async answersMetadata(): Promise<boolean> {
    const admin = new Admin({
      clientId: 'stack-readiness',
      bootstrapBrokers: [this.bootstrap()],
      retries: 0,
      timeout: 2000,
    });
    try {
      const metadata = await admin.metadata({ topics: [] });
      return metadata.brokers.has(this.member.nodeId);
    } finally {
      await admin.close().catch(() => undefined);
    }
  }
}
