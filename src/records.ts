// The shapes every layer passes on, declared once on the ground floor: Kafka hands out consumed
// messages and takes commit positions; the pipeline turns messages into bulk requests and failed
// documents; the search client answers with bulk replies. No layer imports another for these.

/** Where a message came from: its topic, partition and offset. */
export interface SourcePosition {
  topic: string;
  /**
   * The topic's id (KIP-516), which a topic deleted and created again under the same name does not
   * keep: it tells the topic's lives apart. '' where the source did not say (older records).
   */
  topicId: string;
  partition: number;
  offset: bigint;
}

/**
 * One stretch of this member's ownership of a partition of one life of a topic: from its
 * assignment until it is revoked, the topic is found created again, or its log truncated. Messages
 * carry the lease they were fetched under; once it has ended they are neither handed on nor
 * committed, and reading goes on under a new lease whose offsets owe nothing to the old one.
 */
export interface Lease {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  /** Set once, when the lease ends. */
  ended: boolean;
}

/** A message as the consumer hands it to the pipeline. */
export interface ConsumedMessage extends SourcePosition {
  value: Buffer;
  lease: Lease;
  /** The record's time, in milliseconds since the epoch; -1 when it carries none. */
  readonly timestamp: number;
  /** Stamped by the broker as it stored the record (LogAppendTime), not by its producer. */
  readonly logAppendTime: boolean;
}

/** How far behind its records' time a partition is: the age of its oldest message not yet indexed. */
export interface PartitionBehind {
  topic: string;
  partition: number;
  /** Seconds; 0 when nothing waits; null when the message waiting carries no time. */
  seconds: number | null;
  /** The times are the broker's (LogAppendTime): seconds since Kafka stored it, not since capture. */
  logAppendTime: boolean;
}

/** How far a partition was read under a lease: the offset after the last record batch read. */
export interface ReadUpTo {
  lease: Lease;
  offset: bigint;
  /** The leader epoch of the last batch read; -1 when not known. */
  leaderEpoch: number;
}

/** What the consumer hands over at once: messages in fetch order, and how far each partition was read. */
export interface MessageChunk {
  messages: ConsumedMessage[];
  /**
   * Per partition read, the offset after the last batch read: past offsets that hold no message
   * (transaction markers, aborted or compacted records), committable once the messages before it are done.
   */
  readUpTo: ReadUpTo[];
}

/** A partition's position to commit: the next offset to read, one past the last message done. */
export interface CommitPosition {
  topic: string;
  partition: number;
  offset: bigint;
  /** The leader epoch of what was read up to there (KIP-320), when known. */
  leaderEpoch?: number;
  /**
   * The lease the position was reached under: once it has ended (the partition revoked, even if
   * assigned back since), the position is another tenure's and is not committed.
   */
  lease?: Lease;
}

/** A partition a member of the consumer group owns. */
export interface Assignment {
  topic: string;
  partition: number;
}

/** An assigned partition's consumer lag, as the brokers report it. */
export interface PartitionLag extends Assignment {
  /** Messages after the group's committed offset (from the oldest retained one if nothing is committed). */
  lag: bigint;
}

/** A document the search cluster refused for good (or the pipeline did), bound for the failure topic. */
export interface FailedDocument {
  /** Action line and document line, as received. */
  bytes: Buffer;
  reason: string;
  errorType: string;
  status: number | undefined;
  index: string | undefined;
  id: string | undefined;
  source: SourcePosition;
  /**
   * The item's place among the items of its source message that were sent (after the allow-list),
   * when known: with the source it names the document, so that a replay can give a document
   * without an `_id` one that is the same at every replay.
   */
  position?: number;
}

/** The search cluster's answer to a request: its status, its body, and which node gave it. */
export interface BulkReply {
  status: number;
  body: string;
  node: string;
}

/** The bulk API's actions: what a message may ask of the cluster, and what ELASTIC_ALLOWED_ACTIONS names. */
export const bulkActions = ['index', 'create', 'update', 'delete'] as const;
