// A Pipeline on a hand-moved clock, fed by the test chunk by chunk, sending to a fake cluster that
// answers after `latencyMs` of that clock. It records what was sent, when, and what was committed.
import type { BulkerLimits } from '../../src/pipeline/bulker.js';
import { fixedConcurrency, type ConcurrencyLimit } from '../../src/pipeline/concurrency.js';
import { Pipeline, type PipelineDeps } from '../../src/pipeline/pipeline.js';
import type { BulkReply, CommitPosition, ConsumedMessage, MessageChunk } from '../../src/records.js';
import { allOk, idsIn, ManualClock, offsetOf, retrySettings, testLog, testMetrics } from './fakes.js';

/** The consumer's stream: chunks the test pushes, an end, or an error. */
export class Feed implements AsyncIterable<MessageChunk> {
  private readonly queue: (MessageChunk | { error: Error } | 'end')[] = [];
  private wake: (() => void) | undefined;

  push(...messages: ConsumedMessage[]): void {
    this.put({ messages, readUpTo: [] });
  }

  end(): void {
    this.put('end');
  }

  fail(error: Error): void {
    this.put({ error });
  }

  private put(next: MessageChunk | { error: Error } | 'end'): void {
    this.queue.push(next);
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<MessageChunk> {
    for (;;) {
      while (this.queue.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
      const next = this.queue.shift();
      if (next === 'end' || next === undefined) return;
      if ('error' in next) throw next.error;
      yield next;
    }
  }
}

export interface HarnessOptions {
  limits?: Partial<BulkerLimits>;
  instances?: number;
  /** Instead of a fixed `instances`: a limit made on the harness's clock (an adaptive one). */
  concurrency?: (clock: ManualClock) => ConcurrencyLimit;
  maxBufferedBytes?: number;
  drainGraceMs?: number;
  startupWaitMs?: number;
  /** How long the cluster takes to answer each request. */
  latencyMs?: number;
  /** The cluster's answer to a request for these offsets (default: all indexed). */
  answer?: (offsets: number[]) => BulkReply;
  /** Whether each commit fails (default: none). */
  commitFails?: (attempt: number) => boolean;
  /** The consumer (default: `feed`, the one stopFetching ends). */
  messages?: (feed: Feed) => ReturnType<PipelineDeps['messages']>;
}

export interface SentRequest {
  offsets: number[];
  at: number;
}

export function startPipeline(options: HarnessOptions = {}) {
  const clock = new ManualClock();
  const metrics = testMetrics();
  const log = testLog();
  const feed = new Feed();
  const requests: SentRequest[] = [];
  const commits: CommitPosition[][] = [];
  /** What the pipeline told of Kafka: true when fetching started failing, false when it worked again. */
  const kafkaReports: boolean[] = [];
  let commitAttempts = 0;
  const { latencyMs = 0, answer = (offsets: number[]) => allOk(offsets.length) } = options;
  const pipeline = new Pipeline({
    messages: () => options.messages?.(feed) ?? Promise.resolve(feed),
    stopFetching: () => Promise.resolve(feed.end()),
    commit: (positions) =>
      options.commitFails?.(commitAttempts++) === true
        ? Promise.reject(new Error('coordinator not available'))
        : Promise.resolve(void commits.push(positions)).then(() => positions),
    indexer: {
      send: async (body, signal) => {
        const offsets = idsIn(body).map(offsetOf);
        requests.push({ offsets, at: clock.now() });
        if (latencyMs > 0) await clock.sleep(latencyMs, signal);
        return answer(offsets);
      },
      fail: () => Promise.resolve(),
      metrics,
      logger: log.logger,
      ...retrySettings,
      onUnavailable: () => undefined,
    },
    limits: { maxMessages: 1000, maxBytes: 1 << 30, flushIntervalMs: 1000, ...options.limits },
    concurrency: options.concurrency?.(clock) ?? fixedConcurrency(options.instances ?? 1),
    maxBufferedBytes: options.maxBufferedBytes ?? 1 << 30,
    deterministicIds: false,
    allowList: (parsed) => parsed,
    commitIntervalMs: 1000,
    drainGraceMs: options.drainGraceMs ?? 5000,
    ...(options.startupWaitMs !== undefined && { startupWaitMs: options.startupWaitMs }),
    kafkaUnavailable: (unavailable) => void kafkaReports.push(unavailable),
    metrics,
    logger: log.logger,
    clock,
  });
  const outcome: { finished: boolean; error?: unknown } = { finished: false };
  const run = pipeline.run().then(
    () => void (outcome.finished = true),
    (error: unknown) => {
      outcome.finished = true;
      outcome.error = error;
    },
  );
  /** The last committed position of each partition. */
  const committed = (): Map<number, bigint> =>
    new Map(commits.flat().map((p) => [p.partition, p.offset] as const));
  return { pipeline, clock, metrics, log, feed, requests, commits, committed, kafkaReports, outcome, run };
}

export const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, i) => from + i);
