// What this member owns, followed through the client's group events, and the hand-offs each
// change asks for. The classic protocol reports a new assignment when it joins; KIP-848 changes it
// inside a heartbeat and reports nothing, so the assignment is compared after every heartbeat as
// well. A change is reported once; partitions revoked are committed first, then their leases end.
import type { Consumer } from '@platformatic/kafka';
import type { Assignment } from '../../records.js';
import { assignmentChange, flatten } from './assignment.js';
import type { Leases } from './leases.js';
import type { ReaderReports } from './reader-events.js';

/** Whom the watch hands each change to: the consumer, its fetcher and whoever takes the messages. */
export interface RebalanceHandoffs {
  /** The topics read now, named in the report of a change. */
  topics(): readonly string[];
  /** Read the positions of `assigned` again, from the commits. */
  reposition(assigned: Assignment[]): void;
  /** The assignment is changing or has just lost partitions: a good moment to commit what is done. */
  rebalancing(): void;
  /** The member joined the group. */
  joined(): void;
}

export class RebalanceWatch {
  private owned: Assignment[] = [];

  constructor(
    private readonly client: Pick<Consumer<Buffer, Buffer, Buffer, Buffer>, 'on' | 'assignments'>,
    private readonly reports: Pick<ReaderReports, 'assignmentChanged'>,
    private readonly leases: Pick<Leases, 'release'>,
    private readonly handoffs: RebalanceHandoffs,
  ) {
    client.on('consumer:group:join', () => {
      this.observe();
      // Every join may have moved partitions away and back: read from the commits again.
      handoffs.reposition(flatten(client.assignments));
      handoffs.joined();
    });
    // KIP-848 moves partitions inside a heartbeat: those gained are read from their commits.
    client.on('consumer:heartbeat:end', () => {
      if (this.observe()) handoffs.reposition(flatten(client.assignments));
    });
    client.on('consumer:group:rebalance', () => handoffs.rebalancing());
  }

  /** Whether this member owns the partition, as last reported. */
  owns(topic: string, partition: number): boolean {
    return this.owned.some((a) => a.topic === topic && a.partition === partition);
  }

  /** Reports a change of the partitions this member owns, once per change; says whether there was one. */
  private observe(): boolean {
    const owned = flatten(this.client.assignments);
    const { added, revoked } = assignmentChange(this.owned, owned);
    if (added.length === 0 && revoked.length === 0) return false;
    this.owned = owned;
    this.reports.assignmentChanged(this.handoffs.topics(), owned, added, revoked);
    if (revoked.length > 0) {
      // Commit first: the positions are taken at once, before the leases end.
      this.handoffs.rebalancing();
      this.leases.release(revoked);
    }
    return true;
  }
}
