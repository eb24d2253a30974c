// One Fetch request (version 13, which names topics by id; Kafka 3.1 and later answer it, 4.x
// included) sent on the client's connections with the client's request encoder, and a response
// parser of our own: it keeps each partition's record set as one Buffer, for ./record-batches.ts
// to walk in place, instead of decoding every record into objects as the client's parser does.
// By id, not name: a fetch for a topic deleted and created again is answered UNKNOWN_TOPIC_ID
// instead of records of the new topic at the old topic's offsets (KIP-516). Each partition is
// asked with its leader epoch and the epoch of the last batch read (KIP-320): a stale leader is
// fenced, and a log truncated under the reader (an unclean leader election) is answered with
// where it diverged.
// A candidate for upstream (a "raw records" option of the client's Fetch); kept here, small and
// tested, until then.
import {
  createAPI,
  fetchV13,
  protocolErrors,
  protocolErrorsCodesById,
  readKnownTaggedFields,
  type Connection,
  type Reader,
} from '@platformatic/kafka';
import { byTopic } from './assignment.js';
import type { AbortedTransaction } from './record-batches.js';

export interface PartitionFetch {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  /** The leader's epoch as the metadata gave it; -1: unknown, not checked. */
  leaderEpoch: number;
  /** The leader epoch of the last batch read from the partition; -1: none yet. */
  lastFetchedEpoch: number;
}

export interface FetchedPartition {
  topic: string;
  partition: number;
  /** Kafka's error code for this partition; 0: none. */
  errorCode: number;
  highWatermark: bigint;
  logStartOffset: bigint;
  abortedTransactions: AbortedTransaction[] | null;
  /** Where the leader's log diverged from `lastFetchedEpoch` (truncated): read again from `endOffset`. */
  divergingEpoch: { epoch: number; endOffset: bigint } | undefined;
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

/**
 * Tells the caller every partition's answer: it decides what an error means. Never throws Kafka
 * errors. `names` gives each asked topic id its name.
 */
function parseResponse(reader: Reader, names: ReadonlyMap<string, string>): FetchResponse {
  reader.readInt32(); // throttle time
  const errorCode = reader.readInt16();
  reader.readInt32(); // session id: requests use none
  const partitions: FetchedPartition[] = [];
  reader.readArray((r) => {
    const topicId = r.readUUID();
    const topic = names.get(topicId) ?? topicId;
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
        let divergingEpoch: FetchedPartition['divergingEpoch'];
        readKnownTaggedFields(p, {
          0: (t: Reader) => (divergingEpoch = { epoch: t.readInt32(), endOffset: t.readInt64() }),
        });
        partitions.push({
          topic,
          partition,
          errorCode: partitionError,
          highWatermark,
          logStartOffset,
          abortedTransactions,
          divergingEpoch,
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

/**
 * The name of every topic id asked for: a response names topics by id only, and its parser is
 * given nothing but the bytes. Ids are unique across topics and their lives, and as many as the
 * topics read, so the map is only added to.
 */
const names = new Map<string, string>();

const fetchApi = createAPI(
  1,
  13,
  fetchV13.createRequest,
  (_c: number, _k: number, _v: number, reader: Reader) => parseResponse(reader, names),
);

/** Fetches `partitions` (all led by the broker behind `connection`) from their offsets. */
export function fetchRecords(
  connection: Connection,
  partitions: readonly PartitionFetch[],
  limits: FetchLimits,
): Promise<FetchResponse> {
  for (const p of partitions) if (!names.has(p.topicId)) names.set(p.topicId, p.topic);
  const topics = [...byTopic(partitions)].map(([, list]) => ({
    topicId: (list[0] as PartitionFetch).topicId,
    partitions: list.map(({ partition, fetchOffset, leaderEpoch, lastFetchedEpoch }) => ({
      partition,
      fetchOffset,
      currentLeaderEpoch: leaderEpoch,
      lastFetchedEpoch,
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

/** An error named by Kafka's error `code`, with the protocol's words for it. */
export function kafkaError(code: number, what: string): Error {
  const id = protocolErrorsCodesById[code] ?? `error code ${code}`;
  const message = protocolErrors[id]?.message;
  return Object.assign(new Error(`${what} failed: ${id}${message ? ` (${message})` : ''}`), { code: id });
}
