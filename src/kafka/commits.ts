// Commits, one at a time. The pipeline commits every second and on every rebalance, and the
// fetcher commits the starts it chose: two commits in flight could land out of order, and an
// older one after a newer would move a position back (its messages read again). Each commit also
// leaves out the partitions this member does not own when it is sent: a position of a revoked
// partition would overwrite what its new owner committed.
import type { CommitPosition } from '../records.js';

export interface CommitDeps {
  /** Sends one commit; rejects when the brokers refuse it. */
  send: (positions: CommitPosition[]) => Promise<void>;
  /** Whether this member owns the partition now. */
  owns: (topic: string, partition: number) => boolean;
}

export class CommitQueue {
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly deps: CommitDeps) {}

  /** Commits `positions` after every commit asked before; rejects with this commit's failure. */
  commit(positions: readonly CommitPosition[]): Promise<void> {
    const run = this.last.then(() => {
      const owned = positions.filter((p) => this.deps.owns(p.topic, p.partition));
      return owned.length === 0 ? undefined : this.deps.send(owned);
    });
    this.last = run.catch(() => undefined);
    return run;
  }
}
