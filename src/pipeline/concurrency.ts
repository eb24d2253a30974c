// How many bulk requests may be in flight: a number the operator set (ELASTIC_INDEXER_INSTANCES),
// or one that adapts to the cluster, as Vector's adaptive request concurrency (ARC) does and TCP
// congestion control before it. Pure: time comes from an injected clock, and what it decides is
// told through `onAdjust`, so that the metrics and the tests sit outside. docs/concurrency.md
// explains it for operators.
//
// The limit starts at 1: against a node with a write pool of one thread, four 10 MB requests at
// once were mostly refused and resent, and indexing took twice as long as climbing from 1, whose
// requests come staggered. Then once per window (as
// long as the baseline RTT, so each window sees about one answer from each request in flight;
// judged when the first answer after its end arrives):
//   - back-pressure seen (429, rejected_execution, a request that got no answer): limit × 0.9;
//   - congested: the window's mean RTT *and* its time per byte each above their baseline by
//     more than 2.5 of its deviations and by 1/limit of it (a tenth at least): limit × 0.9
//     (requests queue in the cluster: with n always in flight, throughput is n per round trip, so
//     once round trips grow by more than 1/n the last step up bought nothing);
//   - otherwise, if the limit was reached in the window, its mean RTT is at or below the
//     baseline and its time per byte not congested: limit + 1 (the cluster takes more without
//     slowing down);
// and the window then moves both baselines (exponentially weighted means and deviations).
// Why time per byte as well as RTT: batches differ in size (one closed by the flush interval, the
// tail of a burst). A 10 MB request slower than the 2 MB ones before it is no sign of congestion,
// nor a 2 MB one answered sooner than 10 MB ones of room to spare. Why not time per byte alone:
// behind distance a round trip barely depends on its size, and smaller requests would look slow.
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

/** What one bulk request tells the limit: how long it took, and whether the cluster pushed back. */
export interface RequestSample {
  rttMs: number;
  /** The request body's size: requests are compared by time per byte. */
  bytes: number;
  backPressure: boolean;
}

export interface ConcurrencyLimit {
  /** Bulk requests (batches) that may be in flight now. */
  readonly limit: number;
  /** A batch started; `inFlight` counts it. */
  started(inFlight: number): void;
  /** One request's answer (or its absence). */
  observe(sample: RequestSample): void;
}

export type AdjustReason = 'increase' | 'rtt' | 'back_pressure';

export interface Adjustment {
  limit: number;
  reason: AdjustReason;
  /** The baseline RTT before this window moved it (ms). */
  baselineMs: number;
  /** The window's mean RTT (ms); undefined when no request was answered in it. */
  windowMs: number | undefined;
  /** What the limit is judged by: the baseline time per MiB before this window moved it (ms). */
  baselineMsPerMiB: number;
  /** The window's time per MiB (ms): its answers' RTTs summed over their bytes summed. */
  windowMsPerMiB: number | undefined;
}

export interface AdaptiveOptions {
  /** The highest limit (ELASTIC_INDEXER_MAX_INSTANCES). */
  max: number;
  /** The limit at start (default 1). */
  initial?: number;
  /** Milliseconds, monotonic. */
  now: () => number;
  onAdjust?: (adjustment: Adjustment) => void;
  /** Told the baseline RTT (ms) whenever a window moves it. */
  onBaseline?: (baselineMs: number) => void;
  /** Vector's defaults, found by its authors' simulations. */
  decreaseRatio?: number;
  ewmaAlpha?: number;
  deviationScale?: number;
}

export function fixedConcurrency(limit: number): ConcurrencyLimit {
  return { limit, started: () => undefined, observe: () => undefined };
}

/** An exponentially weighted mean and variance, as Vector keeps the past RTT. */
class Ewma {
  mean: number | undefined;
  private variance = 0;

  constructor(private readonly alpha: number) {}

  get deviation(): number {
    return Math.sqrt(this.variance);
  }

  update(value: number): void {
    if (this.mean === undefined) {
      this.mean = value;
      return;
    }
    const diff = value - this.mean;
    const increment = this.alpha * diff;
    this.mean += increment;
    this.variance = (1 - this.alpha) * (this.variance + diff * increment);
  }
}

const mebibyte = 1024 * 1024;

export class AdaptiveConcurrency implements ConcurrencyLimit {
  private current: number;
  /** Of raw RTT (ms): the window's length and the metric. */
  private readonly baseline: Ewma;
  /** Of time per MiB (ms): what congestion is judged by. */
  private readonly cost: Ewma;
  private windowEnds: number | undefined;
  private windowSum = 0;
  private windowBytes = 0;
  private windowCount = 0;
  private reachedLimit = false;
  private pushedBack = false;
  private readonly decreaseRatio: number;
  private readonly deviationScale: number;

  constructor(private readonly options: AdaptiveOptions) {
    if (!(Number.isInteger(options.max) && options.max >= 1)) {
      throw new Error(`the highest limit must be a whole number of 1 or more, not ${options.max}`);
    }
    const initial = options.initial ?? 1;
    if (!(Number.isInteger(initial) && initial >= 1 && initial <= options.max)) {
      throw new Error(`the limit at start must be a whole number from 1 to ${options.max}, not ${initial}`);
    }
    this.current = initial;
    this.baseline = new Ewma(options.ewmaAlpha ?? 0.4);
    this.cost = new Ewma(options.ewmaAlpha ?? 0.4);
    this.decreaseRatio = options.decreaseRatio ?? 0.9;
    this.deviationScale = options.deviationScale ?? 2.5;
  }

  get limit(): number {
    return this.current;
  }

  /** The baseline RTT (ms), a window's length; undefined before the first answer. */
  get baselineMs(): number | undefined {
    return this.baseline.mean;
  }

  /** The baseline time per MiB (ms), what windows are judged against; undefined before the first answer. */
  get baselineMsPerMiB(): number | undefined {
    return this.cost.mean;
  }

  started(inFlight: number): void {
    if (inFlight >= this.current) this.reachedLimit = true;
  }

  observe(sample: RequestSample): void {
    const now = this.options.now();
    // An answer after the window's end opens the next one: the window is judged on what came before.
    if (this.windowEnds !== undefined && now >= this.windowEnds) this.closeWindow(now);
    if (sample.backPressure) this.pushedBack = true;
    else {
      this.windowSum += sample.rttMs;
      this.windowBytes += Math.max(1, sample.bytes);
      this.windowCount += 1;
    }
    // The first answer opens the first window, one RTT long.
    this.windowEnds ??= now + sample.rttMs;
  }

  private closeWindow(now: number): void {
    const answered = this.windowCount > 0;
    const windowMs = answered ? this.windowSum / this.windowCount : undefined;
    const windowCost = answered ? this.windowSum / (this.windowBytes / mebibyte) : undefined;
    const baselineMs = this.baseline.mean;
    const baselineCost = this.cost.mean;
    // Longer round trips count only if not because the requests were bigger; shorter ones earn a
    // rise only if not because they were smaller.
    const slower =
      windowMs !== undefined &&
      windowCost !== undefined &&
      windowMs > this.congestedAbove(this.baseline) &&
      windowCost > this.congestedAbove(this.cost);
    const noSlower =
      windowMs !== undefined &&
      windowCost !== undefined &&
      windowMs <= (baselineMs ?? windowMs) &&
      windowCost <= this.congestedAbove(this.cost);
    let reason: AdjustReason | undefined;
    if (this.pushedBack) reason = 'back_pressure';
    else if (slower) reason = 'rtt';
    else if (this.reachedLimit && noSlower) reason = 'increase';

    const before = this.current;
    if (reason === 'increase') this.current = Math.min(this.options.max, this.current + 1);
    else if (reason !== undefined) this.current = Math.max(1, Math.floor(this.current * this.decreaseRatio));
    if (reason !== undefined && this.current !== before) {
      this.options.onAdjust?.({
        limit: this.current,
        reason,
        baselineMs: baselineMs ?? 0,
        windowMs,
        baselineMsPerMiB: baselineCost ?? 0,
        windowMsPerMiB: windowCost,
      });
    }
    if (windowMs !== undefined && windowCost !== undefined) {
      this.baseline.update(windowMs);
      this.cost.update(windowCost);
      this.options.onBaseline?.(this.baseline.mean as number);
    }
    this.windowSum = 0;
    this.windowBytes = 0;
    this.windowCount = 0;
    this.reachedLimit = false;
    this.pushedBack = false;
    this.windowEnds =
      windowMs === undefined && baselineMs === undefined ? undefined : now + (this.baseline.mean ?? 0);
  }

  /** Above what a window's RTT or time per MiB counts as congested (before the window moves `past`). */
  private congestedAbove(past: Ewma): number {
    const baseline = past.mean;
    if (baseline === undefined) return Infinity;
    // 1/limit: with the limit always in flight, throughput is limit ÷ RTT, so a round trip longer
    // by more than 1/limit means the last step up bought nothing. A tenth at least, for the
    // noise of a high limit; and 2.5 deviations at least, for requests that vary anyway.
    const fraction = Math.max(1 / this.current, 0.1);
    return baseline + Math.max(this.deviationScale * past.deviation, baseline * fraction);
  }
}

export interface ConcurrencyTelemetry {
  metrics: Pick<Metrics, 'concurrencyLimit' | 'concurrencyRtt' | 'concurrencyDecreases'>;
  logger: Logger;
}

/** ELASTIC_INDEXER_INSTANCES as set (a number: fixed), or the adaptive limit up to `max`, with its metrics. */
export function concurrencyLimit(
  instances: number | 'adaptive',
  max: number,
  now: () => number,
  { metrics, logger }: ConcurrencyTelemetry,
): ConcurrencyLimit {
  if (instances !== 'adaptive') {
    metrics.concurrencyLimit.set(instances);
    return fixedConcurrency(instances);
  }
  const limit = new AdaptiveConcurrency({
    max,
    now,
    onAdjust: (adjustment) => {
      metrics.concurrencyLimit.set(adjustment.limit);
      if (adjustment.reason !== 'increase') metrics.concurrencyDecreases.inc({ reason: adjustment.reason });
      logger.debug(adjustment, 'bulk concurrency limit adjusted');
    },
    onBaseline: (baselineMs) => metrics.concurrencyRtt.set(baselineMs / 1000),
  });
  metrics.concurrencyLimit.set(limit.limit);
  return limit;
}
