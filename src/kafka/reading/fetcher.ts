// The reader's fetch loop: fetches the assigned partitions from their leaders on connections of
// its own, walks each answer's record batches in place (./fetch-answer.ts, ./record-batches.ts)
// and queues the messages for the pipeline, which takes the whole queue at once. The client still
// runs the group (joins, heartbeats, assignments, commits); its MessagesStream builds a dozen
// objects per record, the largest cost of one-document messages (docs/benchmarks-history.md).
//
// One fetch per leader broker is in flight; the next leaves as soon as its answer is walked,
// unless `readAhead` bytes (and messages) wait for the pipeline. A broker that fails a fetch is
// asked again after a pause (./broker-pacing.ts), with the metadata read again; after `retries`
// failures in a row reading fails, and the pipeline reconnects as after any consumer error.
// What concerns one partition only stays with it: a batch that cannot be read holds that
// partition back (asked again after a pause), a truncated log or a recreated topic begins a new
// lease (./leases.ts); the others go on.
import type { Assignment, MessageChunk } from '../../records.js';
import { BrokerPacing } from './broker-pacing.js';
import { planFetches } from './fetch-plan.js';
import { FetchAnswers } from './fetch-answer.js';
import { fetchRecords, kafkaError, type FetchedPartition, type PartitionFetch } from './fetch-request.js';
import type { FetcherDeps, FetcherOptions } from './fetcher-options.js';
import { MetadataWatch } from './metadata-watch.js';
import { recoverOutOfRange } from './out-of-range.js';
import { positionKey, readPositions, type Position } from './positions.js';
import { ReadQueue } from './read-queue.js';
import type { ClusterView } from './topic-metadata.js';

export type { FetcherDeps, FetcherEvents, FetcherOptions, ReadAheadLimits } from './fetcher-options.js';

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
  private readonly inFlight = new Set<number>();
  private readonly pacing: BrokerPacing;
  private readonly metadata: MetadataWatch;
  private readonly queue: ReadQueue;
  private readonly answers: FetchAnswers;
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
    this.queue = new ReadQueue(options.readAhead);
    this.answers = new FetchAnswers(this.queue, deps, options.unreadableRetryMs, {
      outOfRange: (position) => this.resetOutOfRange(position),
      retry: (leader) => {
        this.metadata.markStale();
        this.pacing.pause(leader);
      },
      failed: (error) => this.fail(error),
    });
    this.pacing = new BrokerPacing(options.retryDelayMs, () => this.pump());
    this.metadata = new MetadataWatch(
      deps.metadata,
      {
        topics: options.topics,
        refreshMs: options.metadataRefreshMs,
        retries: options.retries,
        retryDelayMs: options.retryDelayMs,
      },
      {
        read: (view) => this.viewRead(view),
        failed: (error) => this.fail(error),
        retryAt: (at) => this.pacing.wakeLater(at),
      },
    );
    this.reposition(assigned);
  }

  /**
   * Where the next fetcher of this member reads each partition from, should this one stop: its
   * position, or the first message it fetched and has not handed out (those are not lost with it).
   */
  get position(): ReadonlyMap<string, Position> {
    const positions = new Map([...this.positions].map(([key, p]) => [key, { ...p }]));
    for (const [key, offset] of this.queue.firstOffsets()) {
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
        if (!this.queue.isEmpty) {
          const wasFull = this.queue.full;
          const chunk = this.queue.take();
          if (wasFull) {
            this.pump();
            // Let the fetch leave before the pipeline's promise chain works through the chunk.
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
          if (chunk !== undefined) yield chunk;
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
    const { committed, group } = this.deps;
    readPositions({ committed, group }, mine, this.positions, this.options.reset, fresh).then(
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

  private pump(): void {
    if (this.stopped || this.failure !== undefined || this.repositioning > 0 || this.queue.full) return;
    const now = Date.now();
    const view = this.metadata.current(now);
    if (view === undefined) return;
    const plan = planFetches(this.positions, view, {
      now,
      resetting: this.resetting,
      stalled: this.answers.stalled,
      lastServed: this.answers.lastServed,
      mayAsk: (leader) => !this.inFlight.has(leader) && this.pacing.ready(leader),
    });
    if (plan.stale) {
      // New partitions, or a leader being elected: read the metadata again shortly.
      this.metadata.markStale();
      this.pacing.wakeLater(now + this.options.retryDelayMs);
    }
    if (plan.wakeAt !== undefined) this.pacing.wakeLater(plan.wakeAt);
    for (const [leader, partitions] of plan.byLeader) void this.send(leader, partitions);
  }

  /** Never rejects: a failure is counted and paced, or ends reading. */
  private async send(leader: number, partitions: PartitionFetch[]): Promise<void> {
    const broker = this.metadata.broker(leader);
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
    if (generation === this.generation) this.answers.accept(leader, answered, partitions, this.positions);
    this.pacing.succeeded(leader);
    this.wake?.();
    this.pump();
  }

  /** A fetch from `leader` failed: ask again after a pause, with the metadata read again, or give up. */
  private failed(leader: number, error: unknown): void {
    if (this.pacing.failed(leader) > this.options.retries) this.fail(error);
    else this.metadata.markStale();
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
    const current = (): boolean => generation === this.generation && position.offset === fetchOffset;
    const { group } = this.deps;
    const { reset, ledger, report } = this.options;
    recoverOutOfRange({ group, reset, ledger, report }, position, fetchOffset, current).then(
      (to) => {
        if (to === undefined) return;
        this.resetting.delete(key);
        // Back before what was read (a log truncated or emptied): those offsets hold other messages now.
        if (to < fetchOffset) this.deps.leases.end(position.topic, position.partition);
        position.offset = to;
        position.lastEpoch = -1;
        this.pump();
      },
      (error: unknown) => this.fail(error),
    );
  }

  private viewRead(view: ClusterView): void {
    this.observeTopicIds(view);
    if (view.missing.length > 0) this.deps.events.missing(view.missing);
    this.pump();
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
