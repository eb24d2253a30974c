// Commits, one at a time. The pipeline commits every second and on every rebalance, and the
// fetcher commits the starts it chose: two commits in flight could land out of order, and an
// older one after a newer would move a position back (its messages read again). Each commit also
// leaves out the partitions this member does not own when it is sent: a position of a revoked
// partition would overwrite what its new owner committed. That includes the client's own retry:
// a commit refused for a rebalance (ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS) makes
// @platformatic/kafka rejoin and send the same offsets again, in the new generation, where the
// classic coordinator takes them whoever owns the partition now (the conformance suite's churn
// case catches a position moved back so). The offsets are therefore read anew at every send. A
// position whose lease has ended is left out too: it was reached before the partition was revoked,
// and another member may have committed past it before the partition came back.
import type { Consumer } from '@platformatic/kafka';
import type { CommitPosition } from '../../records.js';

export interface CommitDeps {
  client: Pick<Consumer<Buffer, Buffer, Buffer, Buffer>, 'commit' | 'on' | 'off'>;
  /** Whether this member owns the partition now. */
  owns: (topic: string, partition: number) => boolean;
  /**
   * Whether the group is between a new generation and this member's assignment in it: it owns
   * nothing until the assignment comes, so a commit waits for it.
   */
  settling: () => boolean;
  /**
   * Has the member join the group again: it has stayed between generations for `stuckMs` (its
   * join failed), and commits alone would never bring it back, since none is sent meanwhile.
   */
  rejoin: () => void;
  /** How long settling lasts before the join is taken for failed: far above a join's few seconds. */
  stuckMs: number;
  /**
   * The longest wait for a heartbeat before a commit refused for a stale member epoch is sent
   * again, and for an assignment before a commit asked while the group settles.
   */
  heartbeatWaitMs: number;
  /** Told of each commit the brokers took. */
  committed: () => void;
}

export class CommitQueue {
  private last: Promise<unknown> = Promise.resolve();
  /** Since when commits have found the group settling, one after the other. */
  private settlingSince: number | undefined;

  constructor(private readonly deps: CommitDeps) {}

  /**
   * Commits `positions` after every commit asked before. Resolves with those the brokers took
   * (the owned ones, as last sent), rejects with this commit's failure.
   */
  commit(positions: readonly CommitPosition[]): Promise<CommitPosition[]> {
    const run = this.last.then(() => this.send(positions));
    this.last = run.catch(() => undefined);
    return run;
  }

  private async send(positions: readonly CommitPosition[]): Promise<CommitPosition[]> {
    // The client reads the offsets when it checks the request, when it builds it (again after a
    // rejoin) and once more after the answer: what was sent is what every read had.
    let sent: CommitPosition[] | undefined;
    const owned = (): CommitPosition[] => {
      const now = positions.filter((p) => this.deps.owns(p.topic, p.partition) && p.lease?.ended !== true);
      sent = sent === undefined ? now : sent.filter((p) => now.includes(p));
      return now;
    };
    const offsets = (list: CommitPosition[]) =>
      list.map(({ topic, partition, offset, leaderEpoch }) => ({
        topic,
        partition,
        offset,
        leaderEpoch: leaderEpoch ?? -1,
      }));
    // Read by the client at each send, its retry after a rejoin included: what is owned then.
    const request = {
      get offsets() {
        return offsets(owned());
      },
    };
    if (this.deps.settling()) {
      this.settlingSince ??= Date.now();
      await this.next('consumer:group:join');
      if (this.deps.settling()) {
        if (Date.now() - this.settlingSince >= this.deps.stuckMs) {
          this.settlingSince = undefined;
          this.deps.rejoin();
        }
        return [];
      }
      sent = undefined;
    }
    this.settlingSince = undefined;
    if (owned().length === 0) return [];
    try {
      await this.deps.client.commit(request);
    } catch (error) {
      // KIP-848 bumps the member epoch when the assignment changes, and a commit sent with the old
      // one is refused. The next heartbeat brings the new epoch: commit once more after it, what
      // this member still owns then.
      if (!isStaleMemberEpoch(error)) throw error;
      await this.next('consumer:heartbeat:end');
      sent = undefined;
      if (owned().length === 0) return [];
      await this.deps.client.commit(request);
    }
    this.deps.committed();
    return sent ?? [];
  }

  /** The client's next `event`, or the heartbeat wait, whichever comes first. */
  private next(event: 'consumer:heartbeat:end' | 'consumer:group:join'): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.deps.client.off(event, done);
        resolve();
      };
      // Bounded: an event that never comes must not hold the commit (and shutdown) forever.
      const timer = setTimeout(done, this.deps.heartbeatWaitMs);
      this.deps.client.on(event, done);
    });
  }
}

function isStaleMemberEpoch(error: unknown): boolean {
  const found = (error as { findBy?: (property: string, value: unknown) => unknown } | null)?.findBy?.(
    'apiId',
    'STALE_MEMBER_EPOCH',
  );
  return found !== null && found !== undefined;
}
