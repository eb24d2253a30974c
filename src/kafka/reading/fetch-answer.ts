// What one fetch answer does to the partitions it carries, each on its own: records are walked
// into the read queue under the partition's lease and its position moves past them; a batch that
// cannot be read holds that partition back a while; a log diverged below what was read (KIP-320)
// begins a new lease. An offset outside the log, an error that asking again may fix and any other
// error go back to the fetcher (./fetcher.ts), which owns recovery, metadata and pacing. A
// partition whose position moved since it was asked is passed over: the answer is stale.
import { protocolErrors, protocolErrorsCodesById } from '@platformatic/kafka';
import { FetchedMessage } from './fetched-message.js';
import { kafkaError, type FetchedPartition, type PartitionFetch } from './fetch-request.js';
import type { FetcherDeps } from './fetcher-options.js';
import { positionKey, type Position } from './positions.js';
import type { ReadQueue } from './read-queue.js';
import { walkRecordBatches } from './record-batches.js';

const errorCode = (name: string, fallback: number): number => protocolErrors[name]?.code ?? fallback;
const offsetOutOfRange = errorCode('OFFSET_OUT_OF_RANGE', 1);

/** What the fetcher does with the errors of an answer. */
export interface AnswerErrors {
  /** The offset is no longer in the log (deleted by retention) or past its end. */
  outOfRange(position: Position): void;
  /** The leader moved, or the topic's id is not the broker's: read the metadata, then fetch again. */
  retry(leader: number): void;
  /** An error no retry fixes: reading fails. */
  failed(error: Error): void;
}

export class FetchAnswers {
  /** Partitions holding a batch that cannot be read, until when they wait. */
  private readonly stalledUntil = new Map<string, number>();
  /** Per partition, when it last brought data (a count of answers): the least recent is asked first. */
  private readonly servedAt = new Map<string, number>();
  private served = 0;

  constructor(
    private readonly queue: ReadQueue,
    private readonly deps: Pick<FetcherDeps, 'leases' | 'events'>,
    private readonly unreadableRetryMs: number,
    private readonly errors: AnswerErrors,
  ) {}

  get stalled(): ReadonlyMap<string, number> {
    return this.stalledUntil;
  }

  get lastServed(): ReadonlyMap<string, number> {
    return this.servedAt;
  }

  /** Queues the messages of one answer and moves each partition's position past them. */
  accept(
    leader: number,
    answered: FetchedPartition[],
    asked: PartitionFetch[],
    positions: ReadonlyMap<string, Position>,
  ): void {
    const requests = new Map(asked.map((p) => [positionKey(p.topic, p.partition), p]));
    for (const fetched of answered) {
      const key = positionKey(fetched.topic, fetched.partition);
      const position = positions.get(key);
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
        this.errors.outOfRange(position);
      } else if (protocolErrors[protocolErrorsCodesById[fetched.errorCode] ?? '']?.canRetry === true) {
        this.errors.retry(leader);
      } else {
        this.errors.failed(
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
      (offset, value, time, timestampDelta) => {
        this.queue.push(new FetchedMessage(lease, offset, value, time, timestampDelta));
      },
    );
    if (walked.next > position.offset) {
      position.offset = walked.next;
      position.lastEpoch = walked.leaderEpoch;
      this.queue.readUpTo(lease, walked.next, walked.leaderEpoch);
    }
    this.servedAt.set(key, ++this.served);
    if (walked.unreadable !== undefined) {
      // Asking again brings the same bytes, unless the leader moves to a replica with a good copy.
      this.stalledUntil.set(key, Date.now() + this.unreadableRetryMs);
      this.deps.events.unreadable(topic, partition, walked.unreadable.offset, walked.unreadable.reason);
    } else {
      this.stalledUntil.delete(key);
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
}
