// How many bulk requests may be in flight: a number the operator set (ELASTIC_INDEXER_INSTANCES),
// or one that adapts to the cluster, as Vector's adaptive request concurrency (ARC) does and TCP
// congestion control before it. Pure: time comes from an injected clock, and what it decides is
// told through `onAdjust`, so that the metrics and the tests sit outside. docs/concurrency.md
// explains it for operators.
//
// The rule, once per window (as long as the baseline RTT, so each window sees about one answer
// from each request in flight; judged when the first answer after its end arrives):
//   - back-pressure seen (429, rejected_execution, a request that got no answer): limit × 0.9;
//   - the window's mean RTT above the baseline by more than 2.5 of its deviations (and by a tenth
//     at least): limit × 0.9
//     (requests queue in the cluster: more in flight would only wait longer);
//   - otherwise, if the limit was reached in the window and its RTT is at or below the baseline:
//     limit + 1 (the cluster takes more without slowing down);
// and the window's RTT then moves the baseline (an exponentially weighted mean and deviation).
import type { BulkOutcome } from '../search/classify.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

/** What one bulk request tells the limit: how long it took, and whether the cluster pushed back. */
export interface RequestSample {
  rttMs: number;
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
  /** The RTT the limit is judged by: the baseline before this window moved it (ms). */
  baselineMs: number;
  /** The window's mean RTT (ms); undefined when no request was answered in it. */
  windowMs: number | undefined;
}

export interface AdaptiveOptions {
  /** The highest limit (ELASTIC_INDEXER_MAX_INSTANCES). */
  max: number;
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

/** Whether an answer says the cluster is overloaded: slow down, whatever else it says. */
export function isBackPressure(outcome: BulkOutcome): boolean {
  if (outcome.kind === 'all_ok') return false;
  if (outcome.kind === 'request_failed') {
    return outcome.action === 'retry' && (rejected(outcome.status, outcome.type) || outcome.status === 0);
  }
  return outcome.items.some((item) => item.kind === 'retry' && rejected(item.status, item.type));
}

function rejected(status: number, type: string): boolean {
  return (
    status === 429 ||
    status === 503 ||
    type === 'es_rejected_execution_exception' ||
    type === 'rejected_execution_exception'
  );
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

export class AdaptiveConcurrency implements ConcurrencyLimit {
  private current = 1;
  private readonly baseline: Ewma;
  private windowEnds: number | undefined;
  private windowSum = 0;
  private windowCount = 0;
  private reachedLimit = false;
  private pushedBack = false;
  private readonly decreaseRatio: number;
  private readonly deviationScale: number;

  constructor(private readonly options: AdaptiveOptions) {
    if (!(Number.isInteger(options.max) && options.max >= 1)) {
      throw new Error(`the highest limit must be a whole number of 1 or more, not ${options.max}`);
    }
    this.baseline = new Ewma(options.ewmaAlpha ?? 0.4);
    this.decreaseRatio = options.decreaseRatio ?? 0.9;
    this.deviationScale = options.deviationScale ?? 2.5;
  }

  get limit(): number {
    return this.current;
  }

  /** The RTT (ms) the limit is judged by; undefined before the first answer. */
  get baselineMs(): number | undefined {
    return this.baseline.mean;
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
      this.windowCount += 1;
    }
    // The first answer opens the first window, one RTT long.
    this.windowEnds ??= now + sample.rttMs;
  }

  private closeWindow(now: number): void {
    const windowMs = this.windowCount > 0 ? this.windowSum / this.windowCount : undefined;
    const baselineMs = this.baseline.mean;
    // A tenth of the baseline at least: answers that all took the same time have no deviation,
    // and a millisecond's noise must not then count as the cluster slowing down.
    const tolerance = Math.max(this.deviationScale * this.baseline.deviation, (baselineMs ?? 0) * 0.1);
    const threshold = baselineMs === undefined ? Infinity : baselineMs + tolerance;
    let reason: AdjustReason | undefined;
    if (this.pushedBack) reason = 'back_pressure';
    else if (windowMs !== undefined && windowMs > threshold) reason = 'rtt';
    else if (this.reachedLimit && windowMs !== undefined && windowMs <= (baselineMs ?? windowMs))
      reason = 'increase';

    const before = this.current;
    if (reason === 'increase') this.current = Math.min(this.options.max, this.current + 1);
    else if (reason !== undefined) this.current = Math.max(1, Math.floor(this.current * this.decreaseRatio));
    if (reason !== undefined && this.current !== before) {
      this.options.onAdjust?.({ limit: this.current, reason, baselineMs: baselineMs ?? 0, windowMs });
    }
    if (windowMs !== undefined) {
      this.baseline.update(windowMs);
      this.options.onBaseline?.(this.baseline.mean as number);
    }
    this.windowSum = 0;
    this.windowCount = 0;
    this.reachedLimit = false;
    this.pushedBack = false;
    this.windowEnds =
      windowMs === undefined && baselineMs === undefined ? undefined : now + (this.baseline.mean ?? 0);
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
  metrics.concurrencyLimit.set(1);
  return new AdaptiveConcurrency({
    max,
    now,
    onAdjust: (adjustment) => {
      metrics.concurrencyLimit.set(adjustment.limit);
      if (adjustment.reason !== 'increase') metrics.concurrencyDecreases.inc({ reason: adjustment.reason });
      logger.debug(adjustment, 'bulk concurrency limit adjusted');
    },
    onBaseline: (baselineMs) => metrics.concurrencyRtt.set(baselineMs / 1000),
  });
}
