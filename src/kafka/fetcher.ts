// The fetch loop: fetches the assigned partitions from their leaders on connections of its own,
// walks each response's record batches in place (./record-batches.ts) and queues the messages for
// the pipeline, which takes the whole queue at once. It replaces the client's MessagesStream for
// reading (the client still runs the group: joins, heartbeats, assignments, commits), because
// the stream builds a dozen objects per record, and those and their garbage were the largest
// cost of one-document messages (docs/benchmarks.md, issue 17).
//
// One fetch per leader broker is in flight; the next leaves as soon as its answer is walked,
// unless `readAhead` bytes (and messages) wait for the pipeline: reading pauses there, and
// resumes when the pipeline takes them, so the next fetch travels while it works through them.
// A broker that fails a fetch is asked again after a pause, with the cluster's metadata read
// again (its leader may have moved); after `retries` failures in a row reading fails, and the
// pipeline's fetch loop reconnects as after any consumer error.
import {
  protocolErrors,
  protocolErrorsCodesById,
  type ConnectionPool,
  type Consumer,
} from '@platformatic/kafka';
import type { Assignment, ConsumedMessage } from '../records.js';
import {
  fetchRecords,
  type FetchedPartition,
  type FetchResponse,
  type FetchLimits,
  type PartitionFetch,
} from './fetch-request.js';
import type { OutOfRangeLedger, reportSkipped } from './out-of-range.js';
import { listOffsets, positionKey, readPositions, type Position } from './positions.js';
import type { OffsetReset } from './out-of-range.js';
import { walkRecordBatches } from './record-batches.js';

type KafkaConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;

export interface ReadAheadLimits {
  /** Fetch no more once this many message bytes wait for the pipeline… */
  bytes: number;
  /** …and at least this many messages. */
  messages: number;
}

export interface FetcherOptions {
  topics: readonly string[];
  limits: FetchLimits;
  readAhead: ReadAheadLimits;
  reset: OffsetReset;
  /** Failed fetches in a row from one broker (or metadata reads) before reading fails. */
  retries: number;
  /** The pause after a failure, times the failures in a row (ms). */
  retryDelayMs: number;
  report: ReturnType<typeof reportSkipped>;
  /** Per topic, what was skipped as out of range: kept by the owner, so that a range is reported once across fetchers. */
  ledger: (topic: string) => OutOfRangeLedger;
}

const offsetOutOfRange = protocolErrors.OFFSET_OUT_OF_RANGE?.code ?? 1;

export class Fetcher {
  private positions: Map<string, Position>;
  /** Bumped when positions are read again: answers to older fetches are dropped. */
  private generation = 0;
  private repositioning = 0;
  /** Partitions whose offset was out of range, while their new one is asked. */
  private readonly resetting = new Set<string>();
  private readonly inFlight = new Set<number>();
  private readonly failures = new Map<number, number>();
  private readonly notBefore = new Map<number, number>();
  private metadata: Awaited<ReturnType<KafkaConsumer['metadata']>> | undefined;
  private metadataStale = true;
  private readingMetadata = false;
  private metadataFailures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAt = 0;
  /** Per partition, when it last brought data (a count of answers): the least recent is asked first. */
  private readonly lastServed = new Map<string, number>();
  private served = 0;
  private queue: ConsumedMessage[] = [];
  private queuedBytes = 0;
  private failure: { error: unknown } | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  /**
   * Reads from `assigned` (those of its topics), from the positions `readPositions` gives them:
   * `known` are where an earlier fetcher of this member got to, for partitions not committed yet.
   */
  constructor(
    private readonly consumer: KafkaConsumer,
    private readonly pool: ConnectionPool,
    private readonly options: FetcherOptions,
    assigned: readonly Assignment[],
    known: ReadonlyMap<string, Position>,
  ) {
    this.positions = new Map(known);
    this.reposition(assigned);
  }

  /**
   * Where the next fetcher of this member reads each partition from, should this one stop: its
   * position, or the first message it fetched and has not handed out (those are not lost with it).
   */
  get position(): ReadonlyMap<string, Position> {
    const positions = new Map([...this.positions].map(([key, p]) => [key, { ...p }]));
    const seen = new Set<string>();
    for (const { topic, partition, offset } of this.queue) {
      const key = positionKey(topic, partition);
      if (seen.has(key)) continue;
      seen.add(key);
      const position = positions.get(key);
      if (position !== undefined && offset < position.offset) position.offset = offset;
    }
    return positions;
  }

  /**
   * The messages of the assigned partitions, in chunks of what was queued when the pipeline
   * asked, in offset order within each partition. Ends when `stop()` is called; throws when
   * reading failed (messages queued before are handed out first).
   */
  async *read(): AsyncGenerator<ConsumedMessage[], void, undefined> {
    this.pump();
    try {
      for (;;) {
        if (this.queue.length > 0) {
          const chunk = this.queue;
          const wasFull = this.full();
          this.queue = [];
          this.queuedBytes = 0;
          if (wasFull) {
            this.pump();
            // Let the fetch leave before the pipeline's promise chain works through the chunk.
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
          yield chunk;
          continue;
        }
        if (this.failure !== undefined) throw this.failure.error;
        if (this.stopped) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      this.stop();
    }
  }

  /** The assignment changed or the group was joined again: read every position again. */
  reposition(assigned: readonly Assignment[]): void {
    const generation = ++this.generation;
    this.repositioning += 1;
    const mine = assigned.filter((a) => this.options.topics.includes(a.topic));
    readPositions(this.consumer, mine, this.positions, this.options.reset).then(
      (positions) => {
        this.repositioning -= 1;
        if (generation === this.generation) {
          this.positions = positions;
          this.resetting.clear();
          this.dropUnassigned();
        }
        // Also when a newer reposition finished first: its pump() found this one still running.
        this.pump();
      },
      (error: unknown) => {
        this.repositioning -= 1;
        this.fail(error);
      },
    );
  }

  /**
   * Messages queued for partitions this member no longer owns are not handed out: another member
   * reads them from the commit, and the pipeline has already forgotten the partition.
   */
  private dropUnassigned(): void {
    if (this.queue.every((m) => this.positions.has(positionKey(m.topic, m.partition)))) return;
    this.queue = this.queue.filter((m) => this.positions.has(positionKey(m.topic, m.partition)));
    this.queuedBytes = this.queue.reduce((sum, m) => sum + m.value.length, 0);
  }

  /** Stops fetching; answers still on their way are dropped. Messages handed out stay valid. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.wake?.();
  }

  private full(): boolean {
    const { bytes, messages } = this.options.readAhead;
    return this.queuedBytes >= bytes && this.queue.length >= messages;
  }

  private pump(): void {
    if (this.stopped || this.failure !== undefined || this.repositioning > 0 || this.full()) return;
    const metadata = this.metadata;
    if (metadata === undefined || this.metadataStale) {
      this.readMetadata();
      return;
    }
    const now = Date.now();
    const byLeader = new Map<number, PartitionFetch[]>();
    // Partitions that brought data last are asked last: the broker fills a response partition by
    // partition in the order asked, and without a fetch session (which would rotate them) the
    // first could otherwise take every response while the others fall behind, towards retention.
    const order = [...this.positions].sort(
      ([a], [b]) => (this.lastServed.get(a) ?? 0) - (this.lastServed.get(b) ?? 0),
    );
    for (const [key, position] of order) {
      if (this.resetting.has(key)) continue;
      const leader = metadata.topics.get(position.topic)?.partitions[position.partition]?.leader;
      if (leader === undefined || leader < 0) {
        this.metadataStale = true; // a new topic, or a leader being elected
        this.retryLater(now + this.options.retryDelayMs);
        continue;
      }
      if (this.inFlight.has(leader)) continue;
      const notBefore = this.notBefore.get(leader) ?? 0;
      if (notBefore > now) {
        this.retryLater(notBefore);
        continue;
      }
      let list = byLeader.get(leader);
      if (list === undefined) byLeader.set(leader, (list = []));
      list.push({ topic: position.topic, partition: position.partition, fetchOffset: position.offset });
    }
    for (const [leader, partitions] of byLeader) void this.send(leader, partitions);
  }

  /** Never rejects: a failure is counted and paced, or ends reading. */
  private async send(leader: number, partitions: PartitionFetch[]): Promise<void> {
    const broker = this.metadata?.brokers.get(leader);
    const generation = this.generation;
    this.inFlight.add(leader);
    let response: FetchResponse;
    try {
      const connection = await this.pool.get(broker as NonNullable<typeof broker>);
      response = await fetchRecords(connection, partitions, this.options.limits);
      if (response.errorCode !== 0) throw kafkaError(response.errorCode, 'fetch');
    } catch (error) {
      if (!this.stopped) this.failed(leader, error);
      return;
    } finally {
      this.inFlight.delete(leader);
    }
    if (this.stopped) return;
    if (generation === this.generation) {
      try {
        this.accept(leader, response.partitions, partitions);
      } catch (error) {
        // Data that cannot be read (a corrupt or unknown batch): asking again brings the same
        // bytes. Reading fails, with where; the pipeline reconnects and says so.
        this.fail(error);
        return;
      }
    }
    this.failures.delete(leader);
    this.wake?.();
    this.pump();
  }

  /** A fetch from `leader` failed: ask again after a pause, with the metadata read again, or give up. */
  private failed(leader: number, error: unknown): void {
    const failures = (this.failures.get(leader) ?? 0) + 1;
    this.failures.set(leader, failures);
    if (failures > this.options.retries) {
      this.fail(error);
      return;
    }
    this.metadataStale = true;
    this.pauseBroker(leader, failures);
  }

  /** Queues the messages of one answer and moves each partition's position past them. */
  private accept(leader: number, answered: FetchedPartition[], asked: PartitionFetch[]): void {
    const offsets = new Map(asked.map((p) => [positionKey(p.topic, p.partition), p.fetchOffset]));
    for (const fetched of answered) {
      const key = positionKey(fetched.topic, fetched.partition);
      const position = this.positions.get(key);
      if (position === undefined || offsets.get(key) !== position.offset) continue;
      if (fetched.errorCode === 0) {
        if (fetched.records === null) continue;
        const { topic, partition } = position;
        const topicId = this.metadata?.topics.get(topic)?.id ?? '';
        try {
          position.offset = walkRecordBatches(
            fetched.records,
            position.offset,
            fetched.abortedTransactions,
            (offset, value) => {
              this.queue.push({ topic, topicId, partition, offset, value });
              this.queuedBytes += value.length;
            },
          );
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new Error(
            `reading topic ${topic} partition ${partition} from offset ${position.offset}: ${reason}`,
            {
              cause: error,
            },
          );
        }
        this.lastServed.set(key, ++this.served);
      } else if (fetched.errorCode === offsetOutOfRange) {
        this.resetOutOfRange(position);
      } else if (protocolErrors[protocolErrorsCodesById[fetched.errorCode] ?? '']?.canRetry === true) {
        // The leader moved, or is being elected: read the metadata again, then fetch again.
        this.metadataStale = true;
        this.pauseBroker(leader, 1);
      } else {
        this.fail(
          kafkaError(fetched.errorCode, `fetching topic ${fetched.topic} partition ${fetched.partition}`),
        );
      }
    }
  }

  /**
   * The offset is no longer in the log (deleted by retention) or past its end: go on from the
   * earliest or latest offset, as KAFKA_CONSUMER_OFFSET_RESET says, and report what was skipped.
   */
  private resetOutOfRange(position: Position): void {
    const key = positionKey(position.topic, position.partition);
    const generation = this.generation;
    const fetchOffset = position.offset;
    this.resetting.add(key);
    const ledger = this.options.ledger(position.topic);
    ledger.refused([{ partition: position.partition, fetchOffset }]);
    listOffsets(this.consumer, [position], this.options.reset).then(
      (listed) => {
        const to = listed.get(position.topic)?.[position.partition];
        if (generation !== this.generation || position.offset !== fetchOffset) return;
        if (to === undefined) {
          this.fail(
            new Error(
              `no ${this.options.reset} offset for topic ${position.topic} partition ${position.partition}`,
            ),
          );
          return;
        }
        this.resetting.delete(key);
        position.offset = to;
        const { skipped, rewound } = ledger.moved((partition) =>
          partition === position.partition ? to : undefined,
        );
        for (const range of skipped) this.options.report.skipped(range);
        for (const moved of rewound) this.options.report.rewound(moved);
        this.pump();
      },
      (error: unknown) => this.fail(error),
    );
  }

  private readMetadata(): void {
    if (this.readingMetadata) return;
    this.readingMetadata = true;
    this.consumer
      .metadata({ topics: [...this.options.topics], forceUpdate: this.metadata !== undefined })
      .then(
        (metadata) => {
          this.readingMetadata = false;
          this.metadata = metadata;
          this.metadataStale = false;
          this.metadataFailures = 0;
          this.pump();
        },
        (error: unknown) => {
          this.readingMetadata = false;
          this.metadataFailures += 1;
          if (this.metadataFailures > this.options.retries) this.fail(error);
          else this.retryLater(Date.now() + this.options.retryDelayMs * this.metadataFailures);
        },
      );
  }

  private pauseBroker(leader: number, failures: number): void {
    const until = Date.now() + this.options.retryDelayMs * failures;
    this.notBefore.set(leader, until);
    this.retryLater(until);
  }

  /** Pumps again at `at`, or earlier if already due to. */
  private retryLater(at: number): void {
    if (this.stopped || (this.retryTimer !== undefined && this.retryAt <= at)) return;
    clearTimeout(this.retryTimer);
    this.retryAt = at;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.pump();
      },
      Math.max(0, at - Date.now()),
    );
  }

  private fail(error: unknown): void {
    if (this.stopped) return;
    this.failure ??= { error };
    this.wake?.();
  }
}

function kafkaError(code: number, what: string): Error {
  const id = protocolErrorsCodesById[code] ?? `error code ${code}`;
  const message = protocolErrors[id]?.message;
  return Object.assign(new Error(`${what} failed: ${id}${message ? ` (${message})` : ''}`), { code: id });
}
