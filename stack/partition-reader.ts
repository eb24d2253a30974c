// One partition read from its log start to its end with plain requests on connections of its own,
// each record with its offset, key and value: what the broker holds, gaps included (compaction
// leaves gaps in offsets; transaction markers take an offset and are left out). No consumer
// group (joining one would write to `__consumer_offsets`, which this reads: consumer-offsets.ts)
// and not the client's clients: their metadata leaves internal topics out.
import { Connection, fetchV12, listOffsetsV7, metadataV12 } from '@platformatic/kafka';

export interface PartitionRecord {
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

/** A control batch holds transaction markers, not records a reader is given. */
const controlFlag = 0x20;
const maxBytes = 8 * 1024 * 1024;

async function connect(host: string, port: number): Promise<Connection> {
  const connection = new Connection('test-partition-reader', { connectTimeout: 5000 });
  try {
    await connection.connect(host, port);
    return connection;
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
}

/** A connection to the first broker of `bootstrap` that answers: a cluster's may be down. */
async function anyBroker(bootstrap: string): Promise<Connection> {
  let lastError: unknown;
  for (const address of bootstrap.split(',')) {
    const [host = '127.0.0.1', port = '0'] = address.split(':');
    try {
      return await connect(host, Number(port));
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`no broker of ${bootstrap} answered`, { cause: lastError });
}

/** The partition's first and end offsets, as ListOffsets (earliest, latest) gives them. */
async function bounds(
  connection: Connection,
  topic: string,
  partition: number,
): Promise<{ start: bigint; end: bigint }> {
  const at = async (timestamp: bigint): Promise<bigint> => {
    const response = await listOffsetsV7.api.async(connection, -1, 0, [
      { name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] },
    ]);
    return response.topics[0]?.partitions[0]?.offset ?? 0n;
  };
  return { start: await at(-2n), end: await at(-1n) };
}

/** Every record of `topic`'s `partition`, log start to end, or an error after `timeoutMs`. */
export async function readPartition(
  bootstrap: string,
  topic: string,
  partition: number,
  timeoutMs = 30_000,
): Promise<PartitionRecord[]> {
  const first = await anyBroker(bootstrap);
  let leader: Connection | undefined;
  try {
    const metadata = await metadataV12.api.async(first, [topic], false, false);
    const described = metadata.topics.find((t) => t.name === topic);
    const leaderId = described?.partitions.find((p) => p.partitionIndex === partition)?.leaderId;
    const broker = metadata.brokers.find((b) => b.nodeId === leaderId);
    if (broker === undefined) throw new Error(`no leader known for ${topic}-${partition}`);
    leader = await connect(broker.host, broker.port);
    const { start, end } = await bounds(leader, topic, partition);
    const records: PartitionRecord[] = [];
    const deadline = Date.now() + timeoutMs;
    let next = start;
    while (next < end) {
      if (Date.now() > deadline)
        throw new Error(`reading ${topic}-${partition}: at ${next} of ${end} after ${timeoutMs} ms`);
      const fetched = { partition, fetchOffset: next, currentLeaderEpoch: -1, lastFetchedEpoch: -1 };
      const response = await fetchV12.api.async(
        leader,
        500,
        1,
        maxBytes,
        0,
        0,
        -1,
        [{ topicId: topic, partitions: [{ ...fetched, partitionMaxBytes: maxBytes }] }],
        [],
        '',
      );
      for (const batch of response.responses[0]?.partitions[0]?.records ?? []) {
        if ((batch.attributes & controlFlag) === 0) {
          for (const record of batch.records) {
            const offset = batch.firstOffset + BigInt(record.offsetDelta);
            if (offset >= next) records.push({ offset, key: record.key, value: record.value });
          }
        }
        const after = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
        if (after > next) next = after;
      }
    }
    return records;
  } finally {
    await leader?.close();
    await first.close();
  }
}

/** How many partitions `topic` has (internal topics included), from the broker's metadata. */
export async function partitionCount(bootstrap: string, topic: string): Promise<number> {
  const connection = await anyBroker(bootstrap);
  try {
    const metadata = await metadataV12.api.async(connection, [topic], false, false);
    const count = metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    if (count === 0) throw new Error(`the broker has no topic ${topic}`);
    return count;
  } finally {
    await connection.close();
  }
}
