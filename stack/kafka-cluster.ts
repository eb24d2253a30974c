import { join } from 'node:path';
import { Admin, FindCoordinatorKeyTypes } from '@platformatic/kafka';
import { KafkaBroker, kafkaClusterId } from './kafka-broker.js';
import { freePort } from './ports.js';

export interface KafkaClusterOptions {
  version: string;
  /** Each node gets a folder of its own in it: `node-1`, `node-2`, … */
  dir: string;
  /** Nodes, each broker and controller voter (3: a quorum survives one node down). */
  size?: number;
  heapMb?: number;
  /** Extra server.properties of every node (e.g. the KIP-848 group timings), after the defaults. */
  properties?: Record<string, string>;
}

/**
 * A production-shaped Kafka on loopback: three KRaft nodes, each broker and controller, with
 * their own ports and data, topics replicated three times with `min.insync.replicas=2`. Each node
 * can be stopped (SIGTERM) or killed (SIGKILL) and started again with its data.
 */
export class KafkaCluster {
  private constructor(readonly brokers: readonly KafkaBroker[]) {}

  static async create(options: KafkaClusterOptions): Promise<KafkaCluster> {
    const ids = Array.from({ length: options.size ?? 3 }, (_, i) => i + 1);
    const voters = new Map<number, number>();
    for (const id of ids) voters.set(id, await freePort());
    const clusterId = kafkaClusterId();
    const brokers: KafkaBroker[] = [];
    for (const nodeId of ids) {
      brokers.push(
        await KafkaBroker.create({
          version: options.version,
          dir: join(options.dir, `node-${nodeId}`),
          member: { nodeId, voters, clusterId },
          ...(options.heapMb !== undefined && { heapMb: options.heapMb }),
          ...(options.properties !== undefined && { properties: options.properties }),
        }),
      );
    }
    return new KafkaCluster(brokers);
  }

  /** Every node's PLAINTEXT address, comma-separated, as KAFKA_CONSUMER_BROKERS takes them. */
  get bootstrap(): string {
    return this.brokers.map((b) => b.bootstrap()).join(',');
  }

  broker(nodeId: number): KafkaBroker {
    const broker = this.brokers.find((b) => b.nodeId === nodeId);
    if (broker === undefined) throw new Error(`the cluster has no node ${nodeId}`);
    return broker;
  }

  /** Starts every node at once: none is ready before a majority of the controllers is up. */
  async start(): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.stop()));
  }

  /** The topic's partitions, each with its leader and in-sync replicas, as the cluster sees them now. */
  async partitions(topic: string): Promise<{ partition: number; leader: number; isr: number[] }[]> {
    return this.withAdmin(async (admin) => {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
      const partitions = metadata.topics.get(topic)?.partitions ?? [];
      return partitions.map((p, partition) => ({ partition, leader: p.leader, isr: p.isr }));
    });
  }

  /** The node coordinating a consumer group (its offsets partition's leader). */
  async coordinator(group: string): Promise<number> {
    return this.withAdmin(async (admin) => {
      const [found] = await admin.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [group] });
      if (found === undefined) throw new Error(`no coordinator found for group ${group}`);
      return found.nodeId;
    });
  }

  private async withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = new Admin({ clientId: 'stack-cluster', bootstrapBrokers: this.bootstrap.split(',') });
    try {
      return await work(admin);
    } finally {
      await admin.close().catch(() => undefined);
    }
  }
}
