// Reads a range of a topic and stops: every partition from its start (or from the first record at
// or after a time, or its newest records) up to the end offsets taken when reading begins. For
// `replay`, the failure topic; for `--check`, the newest messages of the topics read. It reads in
// a consumer group of its own, named anew each run, that never commits: the indexer's group and
// its offsets are never touched, and a reader leaves nothing behind on the brokers but an empty
// group.
import { randomUUID } from 'node:crypto';
import { Consumer, type Message, type MessagesStream } from '@platformatic/kafka';
import {
  KafkaConnectionError,
  kafkaSecurity,
  securityFailure,
  type KafkaSecurityConfig,
} from './connection.js';
import { fetchDefaults } from './reading/fetcher-options.js';

/** One record: where it sits, when it was written, its headers and its value. */
export interface TopicRecord {
  partition: number;
  offset: bigint;
  /** Milliseconds since the epoch, as the record carries it. */
  timestamp: number;
  headers: ReadonlyMap<string, string>;
  value: Buffer;
}

/** Per partition, the first offset to read and the end offset (exclusive) taken at start. */
export interface ReadRange {
  partition: number;
  start: bigint;
  end: bigint;
}

/** Who reads, for the client id and the line that says a connection was refused. */
export interface TopicReaderRole {
  /** e.g. `replay`: the client id's suffix and the group's prefix. */
  name: string;
  /** e.g. `failure topic reader`. */
  description: string;
}

/** Kafka's special timestamps for ListOffsets: the log's end and its start. */
const latest = -1n;
const earliest = -2n;
/** How often the reader looks whether partitions it gets no records from have reached their end. */
const endCheckMs = 500;
/** Records handed on at a time: a bulk request's worth at most. */
const chunkRecords = 500;

export class TopicReader {
  private readonly consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;

  constructor(
    private readonly security: KafkaSecurityConfig,
    private readonly brokers: string[],
    private readonly topic: string,
    private readonly role: TopicReaderRole,
    /** Bounds each request (connecting included) when set: for `--check`, whose checks are timed. */
    timeoutMs?: number,
  ) {
    this.consumer = new Consumer({
      clientId: `arkime-kafka-indexer-${role.name}`,
      groupId: `arkime-kafka-indexer-${role.name}-${randomUUID()}`,
      bootstrapBrokers: brokers,
      ...kafkaSecurity(security),
      ...(timeoutMs !== undefined && { connectTimeout: timeoutMs, timeout: timeoutMs, retries: 1 }),
    });
  }

  /** The newest `count` records of each partition (fewer where there are fewer). */
  async newest(count: number): Promise<ReadRange[]> {
    const ranges = await this.range(undefined);
    return ranges.map((r) => ({
      ...r,
      start: r.end - BigInt(count) > r.start ? r.end - BigInt(count) : r.start,
    }));
  }

  /** What to read: from the start (or `since`, ms) up to the end offsets as they are now. */
  async range(since: number | undefined): Promise<ReadRange[]> {
    const topics = [this.topic];
    const ends = await this.connected(this.consumer.listOffsets({ topics, timestamp: latest }));
    const starts = await this.consumer.listOffsets({
      topics,
      timestamp: since === undefined ? earliest : BigInt(since),
    });
    const endOffsets = ends.get(this.topic) ?? [];
    const startOffsets = starts.get(this.topic) ?? [];
    // A partition with nothing written at or after `since` answers -1: nothing to read there.
    return endOffsets.map((end, partition) => {
      const start = startOffsets[partition] ?? -1n;
      return { partition, start: start < 0n || start > end ? end : start, end };
    });
  }

  /** The records of `ranges`, in chunks, in order within each partition; ends at the end offsets. */
  async *read(ranges: ReadRange[]): AsyncGenerator<TopicRecord[]> {
    const ends = new Map(ranges.map((r) => [r.partition, r.end]));
    const open = new Set(ranges.filter((r) => r.start < r.end).map((r) => r.partition));
    if (open.size === 0) return;
    const stream = await this.connected(
      this.consumer.consume({
        topics: [this.topic],
        mode: 'manual',
        offsets: ranges.map((r) => ({ topic: this.topic, partition: r.partition, offset: r.start })),
        autocommit: false,
        maxBytes: fetchDefaults.maxBytes,
        maxWaitTime: fetchDefaults.maxWaitTime,
      }),
    );
    // Records may be missing before the end (a transaction's markers take offsets): a partition is
    // also done once the stream's next offset to fetch has reached its end.
    const timer = setInterval(() => this.closeIfDone(stream, ends, open), endCheckMs);
    try {
      let chunk: TopicRecord[] = [];
      for await (const message of stream as AsyncIterable<Message<Buffer, Buffer, Buffer, Buffer>>) {
        // Filtered by the end offsets, not by `open`: a partition found done by its next offset
        // may still have records in the stream's buffer, which are read before the stream closes.
        const end = ends.get(message.partition);
        if (end !== undefined && message.offset < end) chunk.push(record(message));
        if (end !== undefined && message.offset + 1n >= end) open.delete(message.partition);
        if (open.size === 0 || chunk.length >= chunkRecords) {
          if (chunk.length > 0) yield chunk;
          chunk = [];
        }
        if (open.size === 0) break;
      }
      if (chunk.length > 0) yield chunk;
    } finally {
      clearInterval(timer);
      await stream.close().catch(() => undefined);
    }
  }

  /** Never rejects. */
  async close(): Promise<void> {
    await this.consumer.close(true).catch(() => undefined);
  }

  private closeIfDone(
    stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>,
    ends: ReadonlyMap<number, bigint>,
    open: Set<number>,
  ): void {
    // The client moves its next offsets as it pushes a fetch's records, in one go: while any are
    // buffered, they are read first (closing now would drop them).
    if (stream.readableLength > 0) return;
    for (const partition of open) {
      const next = stream.offsetsToFetch.get(`${this.topic}:${partition}`);
      if (next !== undefined && next >= (ends.get(partition) ?? 0n)) open.delete(partition);
    }
    if (open.size === 0) stream.close().catch(() => undefined);
  }

  private async connected<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      const why = securityFailure(error, this.security);
      if (why === undefined) throw error;
      throw new KafkaConnectionError(
        `Kafka ${this.role.description} cannot connect to ${this.brokers.join(',')}: ${why}`,
      );
    }
  }
}

function record(message: Message<Buffer, Buffer, Buffer, Buffer>): TopicRecord {
  return {
    partition: message.partition,
    offset: message.offset,
    timestamp: Number(message.timestamp),
    // Kafka allows a header without a value, which the client hands on as undefined.
    headers: new Map(
      [...message.headers].map(([k, v]) => [k.toString(), (v as Buffer | undefined)?.toString() ?? '']),
    ),
    value: message.value ?? Buffer.alloc(0),
  };
}
