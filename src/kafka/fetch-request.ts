// One Fetch request (version 12, which names topics; Kafka 2.7 and later answer it, 4.x included)
// sent on the client's connections with the client's request encoder, and a response parser of
// our own: it keeps each partition's record set as one Buffer, for ./record-batches.ts to walk in
// place, instead of decoding every record into objects as the client's parser does.
// A candidate for upstream (a "raw records" option of the client's Fetch); kept here, small and
// tested, until then.
import {
  createAPI,
  fetchV12,
  readKnownTaggedFields,
  type Connection,
  type Reader,
} from '@platformatic/kafka';
import { byTopic } from './assignment.js';
import type { AbortedTransaction } from './record-batches.js';

export interface PartitionFetch {
  topic: string;
  partition: number;
  fetchOffset: bigint;
}

export interface FetchedPartition {
  topic: string;
  partition: number;
  /** Kafka's error code for this partition; 0: none. */
  errorCode: number;
  highWatermark: bigint;
  logStartOffset: bigint;
  abortedTransactions: AbortedTransaction[] | null;
  /** The partition's record batches, contiguous; null when there were none. */
  records: Buffer | null;
}

export interface FetchResponse {
  /** Kafka's error code for the whole request; 0: none. */
  errorCode: number;
  partitions: FetchedPartition[];
}

export interface FetchLimits {
  /** How long the broker may wait for `minBytes` (ms). */
  maxWaitMs: number;
  /** The response's size limit; a first batch larger than it still comes whole. */
  maxBytes: number;
  /** Read committed (1) or uncommitted (0) records. */
  isolationLevel: 0 | 1;
}

/** Tells the caller every partition's answer: it decides what an error means. Never throws Kafka errors. */
function parseResponse(
  _correlationId: number,
  _apiKey: number,
  _apiVersion: number,
  reader: Reader,
): FetchResponse {
  reader.readInt32(); // throttle time
  const errorCode = reader.readInt16();
  reader.readInt32(); // session id: requests use none
  const partitions: FetchedPartition[] = [];
  reader.readArray((r) => {
    const topic = r.readString();
    r.readArray(
      (p) => {
        const partition = p.readInt32();
        const partitionError = p.readInt16();
        const highWatermark = p.readInt64();
        p.readInt64(); // last stable offset
        const logStartOffset = p.readInt64();
        const abortedTransactions = p.readNullableArray((a) => ({
          producerId: a.readInt64(),
          firstOffset: a.readInt64(),
        }));
        p.readInt32(); // preferred read replica
        // COMPACT_RECORDS: length + 1, 0 for null.
        const size = p.readUnsignedVarInt() - 1;
        // One copy when the record set spans the socket's chunks, a view when it does not.
        const records = size > 0 ? p.buffer.slice(p.position, p.position + size) : null;
        if (size > 0) p.skip(size);
        readKnownTaggedFields(p, {});
        partitions.push({
          topic,
          partition,
          errorCode: partitionError,
          highWatermark,
          logStartOffset,
          abortedTransactions,
          records,
        });
      },
      true,
      false,
    ); // its tagged fields are read above
  });
  readKnownTaggedFields(reader, {});
  return { errorCode, partitions };
}

const fetchApi = createAPI(1, 12, fetchV12.createRequest, parseResponse);

/** Fetches `partitions` (all led by the broker behind `connection`) from their offsets. */
export function fetchRecords(
  connection: Connection,
  partitions: readonly PartitionFetch[],
  limits: FetchLimits,
): Promise<FetchResponse> {
  const topics = [...byTopic(partitions)].map(([topic, list]) => ({
    topicId: topic, // version 12 names topics; the client's encoder calls the field topicId
    partitions: list.map(({ partition, fetchOffset }) => ({
      partition,
      fetchOffset,
      currentLeaderEpoch: -1,
      lastFetchedEpoch: -1,
      partitionMaxBytes: limits.maxBytes,
    })),
  }));
  return new Promise((resolve, reject) => {
    // No fetch session (id 0, epoch -1): every request names all its partitions, as small as it is.
    fetchApi(
      connection,
      limits.maxWaitMs,
      1,
      limits.maxBytes,
      limits.isolationLevel,
      0,
      -1,
      topics,
      [],
      '',
      (error: Error | null, response: FetchResponse) => (error ? reject(error) : resolve(response)),
    );
  });
}
