// The fetcher's view of the cluster (./topic-metadata.ts): read at the start, again every
// KAFKA_METADATA_REFRESH, and at once when a fetch says it is stale (a leader moved, a topic's id
// is unknown). Reads never overlap; failures in a row past `retries` end reading.
import type { ClusterView, MetadataSource } from './topic-metadata.js';

export interface MetadataWatchOptions {
  topics: readonly string[];
  refreshMs: number;
  retries: number;
  retryDelayMs: number;
}

export interface MetadataWatchEvents {
  /** A new view was read. */
  read: (view: ClusterView) => void;
  /** Reading failed `retries` times in a row. */
  failed: (error: unknown) => void;
  /** Reading failed; ask again at `at`. */
  retryAt: (at: number) => void;
}

export class MetadataWatch {
  private view: ClusterView | undefined;
  private readAt = 0;
  private stale = true;
  private reading = false;
  private failures = 0;

  constructor(
    private readonly source: MetadataSource,
    private readonly options: MetadataWatchOptions,
    private readonly events: MetadataWatchEvents,
  ) {}

  /** The view to fetch by now, or undefined while there is none fit to use (a read is under way). */
  current(now: number): ClusterView | undefined {
    if (this.view === undefined || this.stale || now - this.readAt >= this.options.refreshMs) this.read();
    return this.stale ? undefined : this.view;
  }

  /** Known to be out of date: the next `current()` reads it again first. */
  markStale(): void {
    this.stale = true;
  }

  /** The brokers of the last view. */
  broker(id: number): { host: string; port: number } | undefined {
    return this.view?.brokers.get(id);
  }

  private read(): void {
    if (this.reading) return;
    this.reading = true;
    this.source(this.options.topics).then(
      (view) => {
        this.reading = false;
        this.view = view;
        this.readAt = Date.now();
        this.stale = false;
        this.failures = 0;
        this.events.read(view);
      },
      (error: unknown) => {
        this.reading = false;
        this.failures += 1;
        if (this.failures > this.options.retries) this.events.failed(error);
        else this.events.retryAt(Date.now() + this.options.retryDelayMs * this.failures);
      },
    );
  }
}
