// Consumer lag, asked from the brokers every few seconds (never on the hot path, never on a
// scrape, so that a slow broker cannot slow /metrics): a gauge per assigned partition, and the
// total for the summary line.
import type { PartitionLag } from '../records.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface LagSource {
  lag: () => Promise<PartitionLag[]>;
}

export class LagMonitor {
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  /** Sum over the assigned partitions at the last successful poll; undefined before the first. */
  total: bigint | undefined;

  constructor(
    private readonly source: LagSource,
    private readonly metrics: Pick<Metrics, 'consumerLag'>,
    private readonly logger: Logger,
    /** Every few seconds: often enough for the summary line, rare enough to cost the brokers nothing. */
    private readonly intervalMs = 5000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One poll; a poll still running (a broker slow to answer) is not overlapped. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const partitions = await this.source.lag();
      // Reset first: a partition moved to another member must not keep its last value here.
      this.metrics.consumerLag.reset();
      let total = 0n;
      for (const { topic, partition, lag } of partitions) {
        this.metrics.consumerLag.set({ topic, partition: String(partition) }, Number(lag));
        total += lag;
      }
      this.total = total;
    } catch (error) {
      this.logger.debug({ err: error }, 'consumer lag unknown for now');
    } finally {
      this.polling = false;
    }
  }
}
