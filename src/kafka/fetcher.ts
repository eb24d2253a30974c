// The reader's fetch loop: fetches the assigned partitions from their leaders on connections of
// its own, walks each response's record batches in place (./record-batches.ts) and queues the
// messages for the pipeline, which takes the whole queue at once. The client still runs the
// group (joins, heartbeats, assignments, commits); its MessagesStream built a dozen objects per
// record, the largest cost of one-document messages (docs/benchmarks.md).
//
// One fetch per leader broker is in flight; the next leaves as soon as its answer is walked,
// unless `readAhead` bytes (and messages) wait for the pipeline. A broker that fails a fetch is
// asked again after a pause (./broker-pacing.ts), with the metadata read again; after `retries`
// failures in a row reading fails, and the pipeline reconnects as after any consumer error.
// What concerns one partition only stays with it: a batch that cannot be read holds that
// partition back (asked again after a pause), a truncated log or a recreated topic begins a new
// lease (./leases.ts); the others go on.
import {
  protocolErrors,
  protocolErrorsCodesById,
  type ConnectionPool,
  type Consumer,
} from '@platformatic/kafka';
import type { Assignment, CommitPosition, ConsumedMessage, MessageChunk, ReadUpTo } from '../records.js';
import { BrokerPacing } from './broker-pacing.js';
import {
  fetchRecords,
  type FetchedPartition,
  type FetchLimits,
  type PartitionFetch,
} from './fetch-request.js';
import type { Leases } from './leases.js';
import type { OffsetReset, OutOfRangeLedger, reportSkipped } from './out-of-range.js';
import { listOffsets, positionKey, readPositions, type Position } from './positions.js';
import { walkRecordBatches } from './record-batches.js';
import type { ClusterView, MetadataSource } from './topic-metadata.js';

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
  /** How often the metadata is read while all is well (KAFKA_METADATA_REFRESH). */
  metadataRefreshMs: number;
  /** How long a partition with a batch that cannot be read waits before it is asked again. */
  unreadableRetryMs: number;
  report: ReturnType<typeof reportSkipped>;
  /** Per topic, what was skipped as out of range: kept by the owner, so that a range is reported once across fetchers. */
  ledger: (topic: string) => OutOfRangeLedger;
}

/** What the fetcher tells its owner, who logs, counts and commits. */
export interface FetcherEvents {
  /** A topic read has another id now: it was deleted and created again. */
  recreated(topic: string, previousTopicId: string, topicId: string): void;
  /** Positions chosen by KAFKA_CONSUMER_OFFSET_RESET, with no commit to go by: to commit now. */
  started(positions: CommitPosition[]): void;
  /** A batch of a partition cannot be read: the partition waits, the others go on. */
  unreadable(topic: string, partition: number, offset: bigint, reason: string): void;
  /** The leader's log diverged from what was read (KIP-320): reading goes on from `to`. */
  truncated(topic: string, partition: number, from: bigint, to: bigint): void;
  /** Topics read that the brokers do not know now (deleted): the subscription should look again. */
  missing(topics: string[]): void;
}

export interface FetcherDeps {
  group: Pick<Consumer<Buffer, Buffer, Buffer, Buffer>, 'listCommittedOffsets' | 'listOffsets'>;
  pool: Pick<ConnectionPool, 'get'>;
  metadata: MetadataSource;
  leases: Leases;
  events: FetcherEvents;
}

const errorCode = (name: string, fallback: number): number => protocolErrors[name]?.code ?? fallback;
const offsetOutOfRange = errorCode('OFFSET_OUT_OF_RANGE', 1);

export class Fetcher {
  private positions: Map<string, Position>;
  private assigned: Assignment[] = [];
  /** Bumped when positions are read again: answers to older fetches are dropped. */
  private generation = 0;
  private repositioning = 0;
  /** Partitions whose offset was out of range, while their new one is asked. */
  private readonly resetting = new Set<string>();
  /** Partitions of a topic created again: their next positions come from KAFKA_CONSUMER_OFFSET_RESET. */
  private readonly fresh = new Set<string>();
  /** Partitions holding a batch that cannot be read, until when they wait. */
  private readonly stalled = new Map<string, number>();
  private readonly inFlight = new Set<number>();
  private readonly pacing: BrokerPacing;
  private view: ClusterView | undefined;
  private viewReadAt = 0;
  private metadataStale = true;
  private readingMetadata = false;
  private metadataFailures = 0;
  /** Per partition, when it last brought data (a count of answers): the least recent is asked first. */
  private readonly lastServed = new Map<string, number>();
  private served = 0;
  private queue: ConsumedMessage[] = [];
  private queuedBytes = 0;
  private readTo = new Map<string, ReadUpTo>();
  private failure: { error: unknown } | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  /**
   * Reads from `assigned` (those of its topics), from the positions `readPositions` gives them:
   * `known` are where an earlier fetcher of this member got to, for partitions not committed yet.
   */
  constructor(
    private readonly deps: FetcherDeps,
    private readonly options: FetcherOptions,
    assigned: readonly Assignment[],
    known: ReadonlyMap<string, Position>,
  ) {
    this.positions = new Map(known);
    this.pacing = new BrokerPacing(options.retryDelayMs, () => this.pump());
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
  async *read(): AsyncGenerator<MessageChunk, void, undefined> {
    this.pump();
    try {
      for (;;) {
        if (this.queue.length > 0 || this.readTo.size > 0) {
          // Messages of a lease that ended while they waited (revoked, recreated, truncated) stay here.
          const messages = this.queue.some((m) => m.lease.ended)
            ? this.queue.filter((m) => !m.lease.ended)
            : this.queue;
          const readUpTo = [...this.readTo.values()].filter((r) => !r.lease.ended);
          const wasFull = this.full();
          this.queue = [];
          this.queuedBytes = 0;
          this.readTo = new Map();
          if (wasFull) {
            this.pump();
            // Let the fetch leave before the pipeline's promise chain works through the chunk.
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
          if (messages.length > 0 || readUpTo.length > 0) yield { messages, readUpTo };
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

  /**
   * The assignment changed or the group was joined again: read every position again. Partitions
   * no longer assigned stop being read at once; answers already on their way for them are dropped.
   */
  reposition(assigned: readonly Assignment[] = this.assigned): void {
    const generation = ++this.generation;
    this.repositioning += 1;
    const mine = assigned.filter((a) => this.options.topics.includes(a.topic));
    this.assigned = mine;
    const keys = new Set(mine.map((a) => positionKey(a.topic, a.partition)));
    for (const key of this.positions.keys()) if (!keys.has(key)) this.positions.delete(key);
    const fresh = new Set(this.fresh);
    readPositions(this.deps.group, mine, this.positions, this.options.reset, fresh).then(
      ({ positions, started }) => {
        this.repositioning -= 1;
        if (generation === this.generation) {
          this.positions = positions;
          this.resetting.clear();
          for (const key of fresh) this.fresh.delete(key);
          if (started.length > 0) this.deps.events.started(started.map(({ lastEpoch: _, ...p }) => p));
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

  /** Stops fetching; answers still on their way are dropped. Messages handed out stay valid. */
  stop(): void {
    this.stopped = true;
    this.pacing.stop();
    this.wake?.();
  }

  private full(): boolean {
    const { bytes, messages } = this.options.readAhead;
    return this.queuedBytes >= bytes && this.queue.length >= messages;
  }

  private pump(): void {
    if (this.stopped || this.failure !== undefined || this.repositioning > 0 || this.full()) return;
    const now = Date.now();
    if (
      this.view === undefined ||
      this.metadataStale ||
      now - this.viewReadAt >= this.options.metadataRefreshMs
    ) {
      this.readMetadata();
      if (this.view === undefined || this.metadataStale) return;
    }
    const view = this.view;
    const byLeader = new Map<number, PartitionFetch[]>();
    // Partitions that brought data last are asked last: the broker fills a response partition by
    // partition in the order asked, and without a fetch session (which would rotate them) the
    // first could otherwise take every response while the others fall behind, towards retention.
    const order = [...this.positions].sort(
      ([a], [b]) => (this.lastServed.get(a) ?? 0) - (this.lastServed.get(b) ?? 0),
    );
    for (const [key, position] of order) {
      if (this.resetting.has(key)) continue;
      const stalledUntil = this.stalled.get(key) ?? 0;
      if (stalledUntil > now) {
        this.pacing.wakeLater(stalledUntil);
        continue;
      }
      // A missing topic is left alone: the subscription takes it out of the group.
      const topic = view.topics.get(position.topic);
      if (topic === undefined) continue;
      const partition = topic.partitions[position.partition];
      if (partition === undefined || partition.leader < 0) {
        this.metadataStale = true; // new partitions, or a leader being elected
        this.pacing.wakeLater(now + this.options.retryDelayMs);
        continue;
      }
      const leader = partition.leader;
      if (this.inFlight.has(leader) || !this.pacing.ready(leader)) continue;
      let list = byLeader.get(leader);
      if (list === undefined) byLeader.set(leader, (list = []));
      list.push({
        topic: position.topic,
        topicId: topic.id,
        partition: position.partition,
        fetchOffset: position.offset,
        leaderEpoch: partition.leaderEpoch,
        lastFetchedEpoch: position.lastEpoch,
      });
    }
    for (const [leader, partitions] of byLeader) void this.send(leader, partitions);
  }

  /** Never rejects: a failure is counted and paced, or ends reading. */
  private async send(leader: number, partitions: PartitionFetch[]): Promise<void> {
    const broker = this.view?.brokers.get(leader);
    const generation = this.generation;
    this.inFlight.add(leader);
    let answered: FetchedPartition[];
    try {
      if (broker === undefined) throw new Error(`broker ${leader} is not in the metadata`);
      const response = await fetchRecords(await this.deps.pool.get(broker), partitions, this.options.limits);
      if (response.errorCode !== 0) throw kafkaError(response.errorCode, 'fetch');
      answered = response.partitions;
    } catch (error) {
      if (!this.stopped) this.failed(leader, error);
      return;
    } finally {
      this.inFlight.delete(leader);
    }
    if (this.stopped) return;
    if (generation === this.generation) this.accept(leader, answered, partitions);
    this.pacing.succeeded(leader);
    this.wake?.();
    this.pump();
  }

  /** A fetch from `leader` failed: ask again after a pause, with the metadata read again, or give up. */
  private failed(leader: number, error: unknown): void {
    if (this.pacing.failed(leader) > this.options.retries) this.fail(error);
    else this.metadataStale = true;
  }

  /** Queues the messages of one answer and moves each partition's position past them. */
  private accept(leader: number, answered: FetchedPartition[], asked: PartitionFetch[]): void {
    const requests = new Map(asked.map((p) => [positionKey(p.topic, p.partition), p]));
    for (const fetched of answered) {
      const key = positionKey(fetched.topic, fetched.partition);
      const position = this.positions.get(key);
      const request = requests.get(key);
      if (position === undefined || request === undefined || request.fetchOffset !== position.offset)
        continue;
      if (fetched.errorCode === 0) {
        if (fetched.divergingEpoch !== undefined && fetched.divergingEpoch.epoch >= 0) {
          this.truncated(position, fetched.divergingEpoch.endOffset);
        } else if (fetched.records !== null) {
          this.take(key, position, request.topicId, fetched);
        }
      } else if (fetched.errorCode === offsetOutOfRange) {
        this.resetOutOfRange(position);
      } else if (protocolErrors[protocolErrorsCodesById[fetched.errorCode] ?? '']?.canRetry === true) {
        // The leader moved, the topic's id is not the broker's (deleted, maybe created again):
        // read the metadata again, then fetch again.
        this.metadataStale = true;
        this.pacing.pause(leader);
      } else {
        this.fail(
          kafkaError(fetched.errorCode, `fetching topic ${fetched.topic} partition ${fetched.partition}`),
        );
      }
    }
  }

  /** Walks one partition's record set into the queue, under the partition's lease. */
  private take(key: string, position: Position, topicId: string, fetched: FetchedPartition): void {
    const { topic, partition } = position;
    const lease = this.deps.leases.claim(topic, partition, topicId);
    const walked = walkRecordBatches(
      fetched.records as Buffer,
      position.offset,
      fetched.abortedTransactions,
      (offset, value) => {
        this.queue.push({ topic, topicId, partition, offset, value, lease });
        this.queuedBytes += value.length;
      },
    );
    if (walked.next > position.offset) {
      position.offset = walked.next;
      position.lastEpoch = walked.leaderEpoch;
      this.readTo.set(key, { lease, offset: walked.next });
    }
    this.lastServed.set(key, ++this.served);
    if (walked.unreadable !== undefined) {
      // Asking again brings the same bytes, unless the leader moves to a replica with a good copy.
      this.stalled.set(key, Date.now() + this.options.unreadableRetryMs);
      this.deps.events.unreadable(topic, partition, walked.unreadable.offset, walked.unreadable.reason);
    } else {
      this.stalled.delete(key);
    }
  }

  /** The log was truncated below what was read: what was read past `to` is another log's now. */
  private truncated(position: Position, to: bigint): void {
    const from = position.offset;
    this.deps.leases.end(position.topic, position.partition);
    position.offset = to < from ? to : from;
    position.lastEpoch = -1;
    this.deps.events.truncated(position.topic, position.partition, from, position.offset);
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
    listOffsets(this.deps.group, [position], this.options.reset).then(
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
        // Back before what was read (a log truncated or emptied): those offsets hold other messages now.
        if (to < fetchOffset) this.deps.leases.end(position.topic, position.partition);
        position.offset = to;
        position.lastEpoch = -1;
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
    this.deps.metadata(this.options.topics).then(
      (view) => {
        this.readingMetadata = false;
        this.view = view;
        this.viewReadAt = Date.now();
        this.metadataStale = false;
        this.metadataFailures = 0;
        this.observeTopicIds(view);
        if (view.missing.length > 0) this.deps.events.missing(view.missing);
        this.pump();
      },
      (error: unknown) => {
        this.readingMetadata = false;
        this.metadataFailures += 1;
        if (this.metadataFailures > this.options.retries) this.fail(error);
        else this.pacing.wakeLater(Date.now() + this.options.retryDelayMs * this.metadataFailures);
      },
    );
  }

  /** A topic with another id than before was deleted and created again: its partitions start anew. */
  private observeTopicIds(view: ClusterView): void {
    let recreated = false;
    for (const [topic, { id }] of view.topics) {
      const previous = this.deps.leases.observe(topic, id);
      if (previous === undefined) continue;
      recreated = true;
      this.deps.events.recreated(topic, previous, id);
      for (const a of this.assigned) if (a.topic === topic) this.fresh.add(positionKey(topic, a.partition));
    }
    if (recreated) this.reposition();
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
