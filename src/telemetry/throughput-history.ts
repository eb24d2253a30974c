// The status page's chart: counter totals sampled every few seconds into a ring that covers the
// last minutes, turned into rates per second between neighbouring samples. The totals are read
// from the metrics themselves, so the chart and /metrics count the same things.

/** Counter totals at one moment. */
export interface Totals {
  /** Kafka messages consumed (msgs_consumed_total). */
  consumed: number;
  /** Documents indexed (indexed_documents_total). */
  indexed: number;
  /** Documents that failed, every reason (documents_failed_total). */
  failed: number;
  /** Seconds fetching was paused, every reason (fetch_paused_seconds_total). */
  pausedSeconds: number;
}

/** Rates per second over the interval that ends at `at` (ms since the epoch). */
export interface ThroughputPoint {
  at: number;
  consumed: number;
  indexed: number;
  failed: number;
  /** Share of the interval fetching was paused, 0 to 1. */
  paused: number;
}

export interface HistoryClock {
  now: () => number;
}

/** Every 2 s: a chart that moves at the page's refresh rate. */
export const sampleIntervalMs = 2000;
/** 10 minutes of samples: enough to see a trend, a few kilobytes of memory. */
export const samplesKept = 300;

const perSecond = (delta: number, seconds: number): number => Math.max(delta, 0) / seconds;

export class ThroughputHistory {
  private readonly samples: (Totals & { at: number })[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;

  constructor(
    private readonly read: () => Promise<Totals>,
    private readonly clock: HistoryClock = Date,
    readonly intervalMs = sampleIntervalMs,
    private readonly size = samplesKept,
  ) {}

  /** The time the kept samples cover once the ring is full. */
  get windowMs(): number {
    return this.intervalMs * this.size;
  }

  /** Takes one sample now; a read still running is not overlapped. */
  async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const totals = await this.read();
      this.samples.push({ at: this.clock.now(), ...totals });
      // One more sample than points: the oldest is only the start of the first interval.
      if (this.samples.length > this.size + 1) this.samples.shift();
    } finally {
      this.sampling = false;
    }
  }

  /** Rates between neighbouring samples, oldest first. */
  points(): ThroughputPoint[] {
    const points: ThroughputPoint[] = [];
    for (let i = 1; i < this.samples.length; i++) {
      const before = this.samples[i - 1]!;
      const after = this.samples[i]!;
      const seconds = Math.max((after.at - before.at) / 1000, 0.001);
      points.push({
        at: after.at,
        consumed: perSecond(after.consumed - before.consumed, seconds),
        indexed: perSecond(after.indexed - before.indexed, seconds),
        failed: perSecond(after.failed - before.failed, seconds),
        paused: Math.min(perSecond(after.pausedSeconds - before.pausedSeconds, seconds), 1),
      });
    }
    return points;
  }

  /** Samples every `intervalMs`, starting now. */
  start(): void {
    void this.sample().catch(() => undefined);
    this.timer = setInterval(() => void this.sample().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
