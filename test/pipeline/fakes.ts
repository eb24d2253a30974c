// What the pipeline and indexer tests feed in: a clock moved by hand, real Arkime sessions as
// Kafka messages, `_bulk` answers as the servers give them, and metrics and a log to read back.
import { readFileSync } from 'node:fs';
import type { Clock, TimerHandle } from '../../src/pipeline/clock.js';
import { parseMessage } from '../../src/bulk/parse.js';
import type { BulkReply, ConsumedMessage, Lease } from '../../src/records.js';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';
import { createMetrics, type Metrics } from '../../src/telemetry/metrics.js';
import { bulkLines, readSessions } from '../../stack/arkime.js';

class ManualTimer implements TimerHandle {
  constructor(
    readonly at: number,
    readonly order: number,
    readonly callback: () => void,
  ) {}

  unref(): this {
    return this;
  }
}

/**
 * Time that moves only when the test says so. Timers fire in order of their time (then of
 * arming), each at its own time, and every promise that can settle does so before the next.
 */
export class ManualClock implements Clock {
  private time = 0;
  private armed = 0;
  private readonly timers = new Set<ManualTimer>();
  /** Every wait asked of `sleep`, in ms, in order. */
  readonly sleeps: number[] = [];

  readonly now = (): number => this.time;

  readonly setTimeout = (callback: () => void, ms: number): TimerHandle => {
    const timer = new ManualTimer(this.time + Math.max(0, ms), this.armed++, callback);
    this.timers.add(timer);
    return timer;
  };

  readonly clearTimeout = (timer: TimerHandle | undefined): void => {
    if (timer instanceof ManualTimer) this.timers.delete(timer);
  };

  readonly sleep = (ms: number, signal?: AbortSignal): Promise<unknown> => {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = this.setTimeout(() => {
        signal?.removeEventListener('abort', aborted);
        resolve(undefined);
      }, ms);
      const aborted = (): void => {
        this.clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', aborted, { once: true });
    });
  };

  /** Lets every promise settle that can without time passing (no real time passes either). */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
  }

  /** Moves time `ms` forward, firing the timers due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await this.settle();
    for (let next = this.next(end); next !== undefined; next = this.next(end)) {
      this.timers.delete(next);
      this.time = next.at;
      next.callback();
      await this.settle();
    }
    this.time = end;
  }

  /** Moves time forward in steps of `stepMs` until `done` says so; fails after `limitMs`. */
  async advanceUntil(done: () => boolean, stepMs: number, limitMs = 600_000): Promise<void> {
    const start = this.time;
    while (!done()) {
      if (this.time - start >= limitMs) throw new Error(`still waiting after ${limitMs} ms`);
      await this.advance(stepMs);
    }
  }

  private next(end: number): ManualTimer | undefined {
    let first: ManualTimer | undefined;
    for (const t of this.timers) {
      if (t.at > end) continue;
      if (first === undefined || t.at < first.at || (t.at === first.at && t.order < first.order)) first = t;
    }
    return first;
  }
}

const sessions = readSessions();

const leases = new Map<string, Lease>();

/**
 * The lease a partition is read under in these tests: a new one once the last has ended (as the
 * consumer begins one when a partition is assigned again or its topic recreated).
 */
export function leaseOf(topic: string, partition: number): Lease {
  let lease = leases.get(`${topic}:${partition}`);
  if (lease === undefined || lease.ended) {
    lease = { topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partition, ended: false };
    leases.set(`${topic}:${partition}`, lease);
  }
  return lease;
}

/**
 * Message `offset` as Arkime's kafka plugin writes it in `bulk1` format: one real session (the
 * `session`-th of the fixtures), with an id of its own. Same session, same size.
 */
/** When the first `bulk1` message was stamped by its producer. */
export const capturedFrom = Date.parse('2026-01-02T03:04:05Z');

export function bulk1(offset: number, { session = offset, partition = 0 } = {}): ConsumedMessage {
  const s = sessions[session % sessions.length];
  if (s === undefined) throw new Error('no Arkime sessions in the fixtures');
  const id = `${s.id}-${String(offset).padStart(6, '0')}`;
  const value = Buffer.from(bulkLines({ ...s, id }, 'arkime_sessions3-test'));
  return {
    topic: 'sessions',
    topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
    partition,
    offset: BigInt(offset),
    value,
    lease: leaseOf('sessions', partition),
    // Stamped as it was written: one message a millisecond from a fixed start.
    timestamp: capturedFrom + offset,
    logAppendTime: false,
  };
}

/** The documents' `_id`s in a bulk request body, read by the pipeline's own parser. */
export function idsIn(body: readonly Buffer[]): string[] {
  return parseMessage(Buffer.concat(body)).items.map((item) => item.id ?? '?');
}

/** The offset a bulk1 message's `_id` ends in. */
export function offsetOf(id: string): number {
  return Number(id.slice(id.lastIndexOf('-') + 1));
}

interface Captured {
  status: number;
  body: string;
}

/** An answer captured from a real server (test/fixtures/responses/README.md). */
export function captured(name: string): BulkReply {
  const url = new URL(`../../../test/fixtures/responses/${name}.json`, import.meta.url);
  const { status, body } = JSON.parse(readFileSync(url, 'utf8')) as Captured;
  return { status, body, node: 'http://search-1:9200' };
}

/** What Elasticsearch says of a document it has no room for now (a write queue full). */
const overloaded = {
  type: 'es_rejected_execution_exception',
  reason:
    'rejected execution of coordinating operation [coordinating_and_primary_bytes=105906176, replica_bytes=0, all_bytes=105906176, coordinating_operation_bytes=3520, max_coordinating_and_primary_bytes=107374182]',
};

/** A mapping error, as Elasticsearch 8 words it. */
const unparsable = {
  type: 'document_parsing_exception',
  reason: "[1:326] failed to parse field [firstPacket] of type [date]. Preview of field's value: 'yesterday'",
};

/**
 * A `_bulk` answer of the captured shape (filter_path=errors,items.*.status,items.*.error), one
 * status per document sent: 201 indexed, 429 overloaded, 400 a mapping error.
 */
export function itemsReply(statuses: readonly number[]): BulkReply {
  const items = statuses.map((status) => ({
    index: status === 201 ? { status } : { status, error: status === 429 ? overloaded : unparsable },
  }));
  const errors = statuses.some((s) => s !== 201);
  return { status: 200, body: JSON.stringify({ errors, items }), node: 'http://search-1:9200' };
}

/** All `count` documents indexed. */
export function allOk(count: number): BulkReply {
  return itemsReply(Array.from({ length: count }, () => 201));
}

/** A cluster that is there but cannot take writes. */
export const unavailable: BulkReply = {
  status: 503,
  body: '{"error":{"root_cause":[{"type":"cluster_block_exception","reason":"blocked by: [SERVICE_UNAVAILABLE/2/no master];"}],"type":"cluster_block_exception","reason":"blocked by: [SERVICE_UNAVAILABLE/2/no master];"},"status":503}',
  node: 'http://search-1:9200',
};

/** The bulk retry settings of the tests: the default retry statuses, unavailable after 3 tries. */
export const retrySettings = {
  retryStatuses: new Set([429, 502, 503, 504]),
  maxRetries: 3,
  giveUpAfterMs: 0,
  backoff: { baseMs: 50, maxMs: 1000 },
} as const;

export function testMetrics(): Metrics {
  return createMetrics({
    metricsNamespace: 'test',
    metricsSubsystem: '',
    metricsFlushedBytesBuckets: [1],
    metricsFlushedMsgsBuckets: [1],
  });
}

/** Sum of a metric's values whose labels include `labels`. */
export async function valueOf(
  metric: { get: () => Promise<{ values: { value: number; labels: object }[] }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A debug-level logger whose lines the test reads back. */
export function testLog(): { logger: Logger; lines: LogLine[]; messages: (level?: number) => string[] } {
  const lines: LogLine[] = [];
  const logger = createLogger('debug', {
    write: (line: string) => void lines.push(JSON.parse(line) as LogLine),
  });
  const messages = (level = 0): string[] => lines.filter((l) => l.level >= level).map((l) => l.msg);
  return { logger, lines, messages };
}

export const levels = { debug: 20, info: 30, warn: 40, error: 50 } as const;
