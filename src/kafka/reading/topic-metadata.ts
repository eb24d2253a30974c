// The topics the reader reads, as the brokers see them now: each one's id (KIP-516), its
// partitions' leaders and leader epochs, or that it does not exist. Asked with our own Metadata v12
// request on connections of the reader's, because the client's metadata() fails as a whole when
// one topic of the list is missing (a deleted topic of KAFKA_CONSUMER_TOPIC=a,b stopped `a` too),
// and keeps a deleted topic's entry in its cache.
import {
  createAPI,
  metadataV12,
  parseBroker,
  ResponseError,
  type Broker,
  type Connection,
  type ConnectionPool,
  type Reader,
} from '@platformatic/kafka';

export interface PartitionMetadata {
  /** The leader's node id; -1 while one is elected. */
  leader: number;
  leaderEpoch: number;
}

export interface TopicMetadata {
  /** Kafka's id of this life of the topic: a topic deleted and created again has a new one. */
  id: string;
  partitions: PartitionMetadata[];
}

export interface ClusterView {
  brokers: Map<number, Broker>;
  topics: Map<string, TopicMetadata>;
  /** Topics asked for that do not exist (or are being deleted). */
  missing: string[];
}

/** Reads `topics` from the first of `brokers` that answers. */
export type MetadataSource = (topics: readonly string[]) => Promise<ClusterView>;

const unknownTopic = 3;

type MetadataResponse = ReturnType<typeof metadataV12.parseResponse>;

/** The response whatever its per-topic errors: the caller decides what a missing topic means. */
function parseResponse(
  correlationId: number,
  apiKey: number,
  apiVersion: number,
  reader: Reader,
): MetadataResponse {
  try {
    return metadataV12.parseResponse(correlationId, apiKey, apiVersion, reader);
  } catch (error) {
    const response = (error as { response?: MetadataResponse }).response;
    if (error instanceof ResponseError && response !== undefined) return response;
    throw error;
  }
}

const metadataApi = createAPI(3, 12, metadataV12.createRequest, parseResponse);

function ask(connection: Connection, topics: readonly string[]): Promise<MetadataResponse> {
  return new Promise((resolve, reject) =>
    // Never creates a topic: a missing one is reported, not made with the broker's defaults.
    metadataApi(connection, [...topics], false, false, (error: Error | null, response: MetadataResponse) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

/** What one answer says; a topic with any other error than "unknown" is left out, to be asked again. */
export function clusterView(response: MetadataResponse, asked: readonly string[]): ClusterView {
  const brokers = new Map(response.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }]));
  const topics = new Map<string, TopicMetadata>();
  const missing: string[] = [];
  for (const topic of response.topics) {
    const name = topic.name ?? '';
    if (!asked.includes(name)) continue;
    if (topic.errorCode === unknownTopic) {
      missing.push(name);
      continue;
    }
    if (topic.errorCode !== 0) continue;
    const partitions: PartitionMetadata[] = [];
    for (const p of topic.partitions) {
      partitions[p.partitionIndex] = { leader: p.leaderId, leaderEpoch: p.leaderEpoch };
    }
    topics.set(name, { id: topic.topicId, partitions });
  }
  return { brokers, topics, missing };
}

/**
 * Asks on `pool`: the brokers of the last answer first (they are the cluster now), then the
 * configured ones. Rejects with the last error when none answers.
 */
export function metadataSource(pool: ConnectionPool, bootstrap: readonly string[]): MetadataSource {
  const configured: Broker[] = bootstrap.map((b) => parseBroker(b));
  let known: Broker[] = [];
  return async (topics) => {
    let lastError: unknown = new Error('no Kafka broker to ask for metadata');
    for (const broker of [...known, ...configured]) {
      try {
        const view = clusterView(await ask(await pool.get(broker), topics), topics);
        known = [...view.brokers.values()];
        return view;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  };
}
