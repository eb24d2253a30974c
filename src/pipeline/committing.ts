// The pipeline's last stage: every commit interval, and once more on stop, the positions the
// offset tracker says are done are committed. A failed commit is not retried on its own: the
// next interval's commit carries the same positions or later ones.
import type { CommitPosition } from '../records.js';
import type { Logger } from '../telemetry/logger.js';
import type { Clock, TimerHandle } from './clock.js';
import type { OffsetTracker } from './offsets.js';

export interface CommittingDeps {
  offsets: OffsetTracker;
  /** Resolves with the positions committed: those of partitions this member owns when it is sent. */
  commit: (positions: CommitPosition[]) => Promise<readonly CommitPosition[]>;
  clock: Clock;
  logger: Logger;
}

export class Committing {
  /** Commits failed in a row since the last one that succeeded. */
  private failedCommits = 0;

  constructor(private readonly deps: CommittingDeps) {}

  /** Commits every partition's position that moved; never rejects. */
  async commit(): Promise<void> {
    const { offsets, logger } = this.deps;
    const positions = offsets.committable();
    if (positions.length === 0) return;
    try {
      // Only what was sent: a partition left out (not owned while the group rebalanced) and still
      // held afterwards is committed at the next interval, not taken for committed.
      const committed = await this.deps.commit(positions);
      offsets.markCommitted(committed);
      if (committed.length > 0)
        logger.debug({ positions: committed.map((p) => `${p.partition}:${p.offset}`) }, 'committed');
      if (this.failedCommits > 0) {
        logger.info({ failedCommits: this.failedCommits }, 'offset commits succeed again');
        this.failedCommits = 0;
      }
    } catch (error) {
      // Every commit interval while the brokers are away: one warning a streak, not one a second.
      this.failedCommits += 1;
      if (this.failedCommits === 1) logger.warn({ err: error }, 'offset commit failed; will retry');
      else logger.debug({ err: error }, 'offset commit failed again');
    }
  }

  /** Commits every `intervalMs` until the returned function is called. */
  every(intervalMs: number): () => void {
    const { clock } = this.deps;
    let timer: TimerHandle | undefined;
    const arm = (): void => {
      timer = clock.setTimeout(() => {
        void this.commit();
        arm();
      }, intervalMs);
    };
    arm();
    return () => clock.clearTimeout(timer);
  }
}
