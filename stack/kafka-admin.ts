// Cluster operations an operator runs with kafka-reassign-partitions.sh and
// kafka-leader-election.sh, which the client's Admin does not offer: moving a partition's replicas
// (KIP-455, AlterPartitionReassignments) and electing leaders, unclean ones included (KIP-460,
// ElectLeaders). They are sent as raw requests over one connection, with the client's own wire
// codecs; any broker forwards them to the active controller.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Admin,
  alterPartitionReassignmentsV0,
  Connection,
  createAPI,
  listPartitionReassignmentsV0,
  type Reader,
  Writer,
} from '@platformatic/kafka';

const brokers = (bootstrap: string): string[] => bootstrap.split(',');

/** A partition as the cluster's metadata shows it now. */
export interface PartitionState {
  partition: number;
  leader: number;
  /** Raised by every leader change: an unclean election shows as a new epoch on a shorter log. */
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export async function describePartitions(bootstrap: string, topic: string): Promise<PartitionState[]> {
  const admin = new Admin({ clientId: 'stack-admin', bootstrapBrokers: brokers(bootstrap), retries: 2 });
  try {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    return (metadata.topics.get(topic)?.partitions ?? []).map((p, partition) => ({
      partition,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicas: [...p.replicas],
      isr: [...p.isr],
    }));
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Runs `work` on a connection to the first broker of `bootstrap` that answers. */
async function withConnection<T>(
  bootstrap: string,
  work: (connection: Connection) => Promise<T>,
): Promise<T> {
  let lastError: unknown;
  for (const address of brokers(bootstrap)) {
    const [host = '127.0.0.1', port = '0'] = address.split(':');
    const connection = new Connection('stack-admin', { connectTimeout: 5000, requestTimeout: 60_000 });
    try {
      await connection.connect(host, Number(port));
    } catch (error) {
      lastError = error;
      await connection.close().catch(() => undefined);
      continue;
    }
    try {
      return await work(connection);
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
  throw new Error(`no broker of ${bootstrap} answered`, { cause: lastError });
}

/**
 * Moves each named partition of `topic` onto `replicas` (node ids, the preferred leader first).
 * The controller adds the new replicas, lets them catch up, then drops the old ones and moves the
 * leadership to the first of the list if its current leader is no longer among them.
 */
export async function reassignPartitions(
  bootstrap: string,
  topic: string,
  moves: { partition: number; replicas: number[] }[],
): Promise<void> {
  await withConnection(bootstrap, (connection) =>
    alterPartitionReassignmentsV0.api.async(connection, 30_000, false, [
      { name: topic, partitions: moves.map((m) => ({ partitionIndex: m.partition, replicas: m.replicas })) },
    ]),
  );
}

/** The partitions of `topic` whose reassignment is still under way. */
export async function reassignmentsUnderWay(bootstrap: string, topic: string): Promise<number[]> {
  const response = await withConnection(bootstrap, (connection) =>
    listPartitionReassignmentsV0.api.async(connection, 30_000, null),
  );
  return response.topics
    .filter((t) => t.name === topic)
    .flatMap((t) => t.partitions.map((p) => p.partitionIndex));
}

/** Waits until no reassignment of `topic` is under way and every partition's ISR holds all its replicas. */
export async function waitReassigned(
  bootstrap: string,
  topic: string,
  timeoutMs = 120_000,
): Promise<PartitionState[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [underWay, partitions] = await Promise.all([
      reassignmentsUnderWay(bootstrap, topic).catch(() => [-1]),
      describePartitions(bootstrap, topic).catch(() => []),
    ]);
    const inSync =
      partitions.length > 0 && partitions.every((p) => p.replicas.every((r) => p.isr.includes(r)));
    if (underWay.length === 0 && inSync) return partitions;
    if (Date.now() > deadline) {
      throw new Error(`reassignment of ${topic} not done in ${timeoutMs} ms: ${JSON.stringify(partitions)}`);
    }
    await sleep(500);
  }
}

export type ElectionType = 'preferred' | 'unclean';

/** One partition's answer to an election: 0, or a Kafka error code (84: ELECTION_NOT_NEEDED). */
export interface ElectionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

interface ElectLeadersResponse {
  errorCode: number;
  results: ElectionResult[];
}

/*
  ElectLeaders Request (Version: 2) => election_type [topic_partitions] timeout_ms TAG_BUFFER
    election_type => INT8
    topic_partitions => topic [partitions] TAG_BUFFER
      topic => COMPACT_STRING
      partitions => INT32
    timeout_ms => INT32
*/
function electLeadersRequest(
  electionType: number,
  topics: { topic: string; partitions: number[] }[],
  timeoutMs: number,
): Writer {
  return Writer.create()
    .appendInt8(electionType)
    .appendArray(topics, (w, t) => {
      w.appendString(t.topic).appendArray(t.partitions, (w, p) => w.appendInt32(p), true, false);
    })
    .appendInt32(timeoutMs)
    .appendTaggedFields();
}

/*
  ElectLeaders Response (Version: 2) => throttle_time_ms error_code [replica_election_results] TAG_BUFFER
    replica_election_results => topic [partition_result] TAG_BUFFER
      partition_result => partition_id error_code error_message TAG_BUFFER
*/
function electLeadersResponse(
  _correlationId: number,
  _apiKey: number,
  _apiVersion: number,
  reader: Reader,
): ElectLeadersResponse {
  reader.readInt32();
  const errorCode = reader.readInt16();
  const results = reader
    .readArray((r) => {
      const topic = r.readString();
      return r.readArray((r) => ({
        topic,
        partition: r.readInt32(),
        errorCode: r.readInt16(),
        errorMessage: r.readNullableString(),
      }));
    })
    .flat();
  reader.readTaggedFields();
  // Per-partition errors are answers (ELECTION_NOT_NEEDED, ELIGIBLE_LEADERS_NOT_AVAILABLE), not
  // failures of the request: the caller reads them.
  return { errorCode, results };
}

const electLeadersV2 = createAPI(43, 2, electLeadersRequest, electLeadersResponse);

/**
 * Asks the controller to elect a leader for the partitions: `preferred` moves it back to each
 * partition's first replica; `unclean` lets a replica outside the ISR lead a partition that has
 * no live in-sync replica, its log becoming the partition's (what it lacks is lost).
 */
export async function electLeaders(
  bootstrap: string,
  topic: string,
  partitions: number[],
  type: ElectionType,
): Promise<ElectionResult[]> {
  const response = await withConnection(bootstrap, (connection) =>
    electLeadersV2.async(connection, type === 'preferred' ? 0 : 1, [{ topic, partitions }], 30_000),
  );
  if (response.errorCode !== 0) throw new Error(`ElectLeaders failed with error code ${response.errorCode}`);
  return response.results;
}
