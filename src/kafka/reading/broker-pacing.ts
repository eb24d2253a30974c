// When the fetcher may ask a broker again after a failure, and one timer that wakes it at the
// earliest such moment. Failures in a row are counted per broker: the pause grows with them, and
// past `retries` the caller gives up.

export class BrokerPacing {
  private readonly failures = new Map<number, number>();
  private readonly notBefore = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = 0;
  private stopped = false;

  constructor(
    private readonly retryDelayMs: number,
    /** Called when a pause ends. */
    private readonly wake: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a failure of `broker` and pauses it; returns the failures in a row. */
  failed(broker: number): number {
    const failures = (this.failures.get(broker) ?? 0) + 1;
    this.failures.set(broker, failures);
    this.pause(broker, failures);
    return failures;
  }

  succeeded(broker: number): void {
    this.failures.delete(broker);
  }

  /** Keeps `broker` unasked for `failures` retry delays. */
  pause(broker: number, failures = 1): void {
    const until = this.now() + this.retryDelayMs * failures;
    this.notBefore.set(broker, until);
    this.wakeLater(until);
  }

  /** Whether `broker` may be asked now; if not, the timer is set for when it may. */
  ready(broker: number): boolean {
    const until = this.notBefore.get(broker) ?? 0;
    if (until <= this.now()) return true;
    this.wakeLater(until);
    return false;
  }

  /** Wakes the caller at `at`, or earlier if already due to. */
  wakeLater(at: number): void {
    if (this.stopped || (this.timer !== undefined && this.wakeAt <= at)) return;
    clearTimeout(this.timer);
    this.wakeAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.wake();
      },
      Math.max(0, at - this.now()),
    );
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
