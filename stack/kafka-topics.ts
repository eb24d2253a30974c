import {
  Admin,
  ConfigResourceTypes,
  Consumer,
  IncrementalAlterConfigOperationTypes,
  Producer,
} from '@platformatic/kafka';
import { uniqueName } from './names.js';

/** `bootstrap` is one broker's host:port, or a cluster's, comma-separated. */
const brokers = (bootstrap: string): string[] => bootstrap.split(',');

/** Replication of a topic: copies of each partition, and how many must have a write before it counts. */
export interface Replication {
  replicas: number;
  minInSync: number;
  /**
   * The preferred leader of each partition, a node id of a cluster whose nodes are 1…replicas
   * (the other replicas follow in order); the cluster spreads them evenly when omitted.
   */
  leaders?: number[];
}

/** Each partition's replicas, its preferred leader first. */
export function leaderFirst(leaders: number[], replicas: number): { partition: number; brokers: number[] }[] {
  return leaders.map((leader, partition) => ({
    partition,
    brokers: Array.from({ length: replicas }, (_, k) => ((leader - 1 + k) % replicas) + 1),
  }));
}

export async function createTopic(
  bootstrap: string,
  topic: string,
  partitions = 1,
  replication: Replication = { replicas: 1, minInSync: 1 },
): Promise<void> {
  const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: brokers(bootstrap) });
  try {
    const { replicas, leaders } = replication;
    await admin.createTopics({
      topics: [topic],
      ...(leaders === undefined ? { partitions, replicas } : { assignments: leaderFirst(leaders, replicas) }),
      configs: [{ name: 'min.insync.replicas', value: String(replication.minInSync) }],
    });
  } finally {
    await admin.close();
  }
}

/**
 * Produces the values in order, spread round-robin over `partitions`, acknowledged by the broker;
 * with `timestamp`, every record carries it (milliseconds) instead of the time of sending.
 */
export async function produce(
  bootstrap: string,
  topic: string,
  values: Buffer[],
  partitions = 1,
  timestamp?: bigint,
): Promise<void> {
  await produceRecords(
    bootstrap,
    topic,
    values.map((value, i) => ({
      partition: i % partitions,
      value,
      ...(timestamp !== undefined && { timestamp }),
    })),
  );
}

/** A record to produce to a chosen partition, with a key when the topic is compacted. */
export interface RecordToProduce {
  partition: number;
  value: Buffer;
  key?: Buffer;
  /** Milliseconds; the time of sending when omitted. */
  timestamp?: bigint;
}

/**
 * Produces the records in order, each send of `perSend` records one record batch per partition:
 * a test that needs known batch boundaries (a corrupt batch on disk) chooses them this way.
 */
export async function produceRecords(
  bootstrap: string,
  topic: string,
  records: RecordToProduce[],
  perSend = 500,
): Promise<void> {
  const producer = new Producer({
    clientId: 'test-producer',
    bootstrapBrokers: brokers(bootstrap),
    acks: -1,
    idempotent: true,
  });
  // Idempotent: a request resent after a timeout on a busy broker must not put the messages twice.
  try {
    for (let i = 0; i < records.length; i += perSend) {
      await producer.send({ messages: records.slice(i, i + perSend).map((r) => ({ topic, ...r })) });
    }
  } finally {
    await producer.close();
  }
}

export interface ReadRecord {
  value: Buffer;
  headers: Map<string, string>;
  partition: number;
  offset: bigint;
}

/** Reads `count` records from the start of a topic (in a fresh group), or fails after `timeoutMs`. */
export async function readRecords(
  bootstrap: string,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<ReadRecord[]> {
  const consumer = new Consumer({
    clientId: 'test-reader',
    groupId: uniqueName('reader'),
    bootstrapBrokers: brokers(bootstrap),
  });
  // Closed here, not in a test hook: the demo (demo/run.ts) reads the failure topic with it too.
  const stream = await consumer
    .consume({ topics: [topic], mode: 'earliest', autocommit: false })
    .catch(async (error: unknown) => {
      await consumer.close(true);
      throw error;
    });
  const records: ReadRecord[] = [];
  const timer = setTimeout(() => void stream.close(), timeoutMs);
  try {
    for await (const message of stream) {
      records.push({
        partition: message.partition,
        offset: message.offset,
        value: message.value,
        headers: new Map([...message.headers].map(([k, v]) => [k.toString(), v.toString()])),
      });
      if (records.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
    await stream.close();
    await consumer.close(true);
  }
  return records;
}

/** The committed offset of each partition of `topic` for `group` (-1 where none). */
export async function committedOffsets(
  bootstrap: string,
  group: string,
  topic: string,
  partitions: number,
): Promise<bigint[]> {
  const consumer = new Consumer({
    clientId: 'test-offsets',
    groupId: group,
    bootstrapBrokers: brokers(bootstrap),
  });
  try {
    const offsets = await consumer.listCommittedOffsets({
      topics: [{ topic, partitions: [...Array(partitions).keys()] }],
    });
    return offsets.get(topic) ?? [];
  } finally {
    await consumer.close(true);
  }
}

/** The group's protocol type as the broker lists it: 'classic' or 'consumer' (KIP-848). */
export async function groupType(bootstrap: string, group: string): Promise<string | undefined> {
  const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: brokers(bootstrap) });
  try {
    return (await admin.listGroups({ types: ['classic', 'consumer'] })).get(group)?.groupType;
  } finally {
    await admin.close();
  }
}

/** How many records each partition of a topic holds (its end offsets; topics here are never compacted). */
export async function endOffsets(bootstrap: string, topic: string): Promise<bigint[]> {
  const consumer = new Consumer({
    clientId: 'test-offsets',
    groupId: uniqueName('offsets'),
    bootstrapBrokers: brokers(bootstrap),
  });
  try {
    return (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? [];
  } finally {
    await consumer.close(true);
  }
}

/** The first offset each partition of a topic still holds: retention moves it up. */
export async function startOffsets(bootstrap: string, topic: string): Promise<bigint[]> {
  const consumer = new Consumer({
    clientId: 'test-offsets',
    groupId: uniqueName('offsets'),
    bootstrapBrokers: [bootstrap],
  });
  try {
    return (await consumer.listOffsets({ topics: [topic], timestamp: -2n })).get(topic) ?? [];
  } finally {
    await consumer.close(true);
  }
}

/** Sets some of a topic's configurations (`retention.ms`, `segment.ms`, …); the others keep theirs. */
export async function setTopicConfig(
  bootstrap: string,
  topic: string,
  configs: Record<string, string>,
): Promise<void> {
  const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: [bootstrap] });
  try {
    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: topic,
          configs: Object.entries(configs).map(([name, value]) => ({
            name,
            value,
            configOperation: IncrementalAlterConfigOperationTypes.SET,
          })),
        },
      ],
    });
  } finally {
    await admin.close();
  }
}

/** Deletes a topic; the broker drops its log and its groups' committed offsets (tombstones in __consumer_offsets). */
export async function deleteTopic(bootstrap: string, topic: string): Promise<void> {
  const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: brokers(bootstrap) });
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.close();
  }
}

/** Grows a topic to `count` partitions (Kafka never shrinks one). */
export async function createPartitions(bootstrap: string, topic: string, count: number): Promise<void> {
  const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: brokers(bootstrap) });
  try {
    await admin.createPartitions({ topics: [{ name: topic, count }] });
  } finally {
    await admin.close();
  }
}

/** The topic's id (KIP-516) as the client gives it, or undefined when the broker does not know the topic. */
export async function topicId(bootstrap: string, topic: string): Promise<string | undefined> {
  const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: brokers(bootstrap) });
  try {
    const metadata = await admin.metadata({ topics: [topic] }).catch(() => undefined);
    return metadata?.topics.get(topic)?.id;
  } finally {
    await admin.close();
  }
}
