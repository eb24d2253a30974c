// How indexing went while a test broke something: the search index's document count, sampled
// every 250 ms, and the longest time it stood still while sessions were waiting to be indexed.
import { setTimeout as sleep } from 'node:timers/promises';
import { count } from '../../stack/search-client.js';

const sampleMs = 250;

export class IndexProgress {
  longestPauseMs = 0;
  samples = 0;
  private stopped = false;
  private readonly sampling: Promise<void>;

  /** `waiting()`: how many sessions should be in the index once it has caught up. */
  constructor(
    private readonly url: string,
    private readonly pattern: string,
    private readonly waiting: () => number,
  ) {
    this.sampling = this.sample();
  }

  async stop(): Promise<{ longestPauseMs: number; samples: number }> {
    this.stopped = true;
    await this.sampling;
    return { longestPauseMs: this.longestPauseMs, samples: this.samples };
  }

  private async sample(): Promise<void> {
    let last = -1;
    let since = Date.now();
    while (!this.stopped) {
      const indexed = await count(this.url, this.pattern).catch(() => last);
      const now = Date.now();
      this.samples += 1;
      // A pause is time without growth while something was there to index; caught up is no pause.
      if (indexed > last || indexed >= this.waiting()) since = now;
      this.longestPauseMs = Math.max(this.longestPauseMs, now - since);
      last = Math.max(last, indexed);
      await sleep(sampleMs);
    }
  }
}
