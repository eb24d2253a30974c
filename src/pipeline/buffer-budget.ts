// MAX_BUFFERED_BYTES: the bytes of messages taken from Kafka and not yet done (in the bulker or
// in flight). While they are all taken fetching waits here, so memory stays flat however
// long the search cluster is away; it goes on by itself as batches finish.
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Bulker } from './bulker.js';
import type { Clock } from './clock.js';
import type { InFlight } from './in-flight.js';
import type { BatchEntry } from './indexer.js';

export type BufferBudgetMetrics = Pick<Metrics, 'bufferedBytes' | 'fetchPaused' | 'fetchPausedSeconds'>;

export interface BufferBudgetDeps {
  maxBufferedBytes: number;
  clock: Clock;
  metrics: BufferBudgetMetrics;
  logger: Logger;
}

export class BufferBudget {
  private bytes = 0;

  constructor(private readonly deps: BufferBudgetDeps) {}

  get full(): boolean {
    return this.bytes >= this.deps.maxBufferedBytes;
  }

  take(size: number): void {
    this.bytes += size;
  }

  /** A batch is done (or abandoned): its bytes are free again. */
  release(size: number): void {
    this.bytes -= size;
    this.report();
  }

  /** Sets the gauge; the pipeline calls it once per chunk, not per message. */
  report(): void {
    this.deps.metrics.bufferedBytes.set(this.bytes);
  }

  /** Holds the next message back while MAX_BUFFERED_BYTES are taken and not done. */
  async makeRoom(inFlight: InFlight, bulker: Bulker<BatchEntry>, stopped: AbortSignal): Promise<void> {
    if (!this.full) return;
    const { metrics, clock } = this.deps;
    // Otherwise set once per chunk: show the full buffer while fetching waits on it.
    this.report();
    const paused = clock.now();
    metrics.fetchPaused.set(1);
    this.deps.logger.debug({ bufferedBytes: this.bytes }, 'fetching paused: buffer full');
    while (this.full && !stopped.aborted) {
      // Nothing in flight means the bulker holds it all: send it, or nothing would ever free room.
      const pending = inFlight.size === 0 ? bulker.drain('buffer_full') : undefined;
      if (pending !== undefined) await inFlight.send(pending);
      if (inFlight.size === 0) break;
      await inFlight.oneFinished();
    }
    metrics.fetchPaused.set(0);
    metrics.fetchPausedSeconds.inc({ reason: 'max_buffered_bytes' }, (clock.now() - paused) / 1000);
  }
}
