// What this member owns, followed through the client's group events, and the hand-offs each
// change asks for. The classic protocol reports a new assignment when it joins; KIP-848 changes it
// inside a heartbeat and reports nothing, so the assignment is compared after every heartbeat as
// well. A change is reported once, and the leases of partitions revoked end at once: their
// positions were committed, if at all, when the rebalance began (`consumer:group:rebalance`), since
// a commit leaves out what this member no longer owns. Ownership is what commits are filtered by
// (./commits.ts), so it is held with the classic generation it was assigned in: see `owns`.
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
  /** The classic generation `owned` was assigned in (KIP-848 leaves the client's at 0). */
  private generation = 0;

  constructor(
    private readonly client: Pick<
      Consumer<Buffer, Buffer, Buffer, Buffer>,
      'on' | 'assignments' | 'generationId'
    >,
    private readonly reports: Pick<ReaderReports, 'assignmentChanged'>,
    private readonly leases: Pick<Leases, 'release'>,
    private readonly handoffs: RebalanceHandoffs,
  ) {
    client.on('consumer:group:join', () => {
      const generation = client.generationId;
      // A classic generation this member never got its assignment of (its SyncGroup refused as
      // the group rebalanced again, or its membership lost): another member may have owned its
      // partitions then and committed past where this one got to. KIP-848 keeps the client's at 0.
      const skipped = generation !== this.generation && generation !== this.generation + 1;
      this.generation = generation;
      if (skipped && this.owned.length > 0) this.startOver();
      else this.observe();
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

  /**
   * Whether this member owns the partition in the group's current generation. Under the classic
   * protocol the client takes the new generation from the JoinGroup answer and its assignment only
   * from the SyncGroup answer after it: a commit sent in between carries the new generation with
   * the old assignment, and the coordinator, which checks the generation and not who owns what,
   * takes it once the group is stable, over the position of the partition's new owner (a position
   * moved back, its messages read again). So in between, this member owns nothing, as the Java
   * consumer's eager protocol gives up every partition before it joins again.
   */
  owns(topic: string, partition: number): boolean {
    if (this.settling()) return false;
    // The client's own view too: KIP-848 changes it after a heartbeat's answer, before the
    // heartbeat's end event brings this watch up to date.
    const current = this.client.assignments?.some(
      (a) => a.topic === topic && a.partitions.includes(partition),
    );
    return current === true && this.owned.some((a) => a.topic === topic && a.partition === partition);
  }

  /** Between a classic JoinGroup answer (a new generation) and this member's assignment in it. */
  settling(): boolean {
    return this.client.generationId !== this.generation;
  }

  /**
   * After a generation skipped: every partition owned before is taken as revoked, even one
   * assigned again, and its lease ends without a commit first (its positions may be behind the
   * group's commits now); those owned now are read from their commits under new leases. The Java
   * consumer's eager protocol gives up every partition at every rebalance; this member keeps
   * what it owned only across generations it saw one after the other.
   */
  private startOver(): void {
    const before = this.owned;
    this.leases.release(before);
    this.owned = flatten(this.client.assignments);
    this.reports.assignmentChanged(this.handoffs.topics(), this.owned, this.owned, before);
  }

  /** Reports a change of the partitions this member owns, once per change; says whether there was one. */
  private observe(): boolean {
    const owned = flatten(this.client.assignments);
    const { added, revoked } = assignmentChange(this.owned, owned);
    if (added.length === 0 && revoked.length === 0) return false;
    this.owned = owned;
    this.reports.assignmentChanged(this.handoffs.topics(), owned, added, revoked);
    if (revoked.length > 0) {
      // What is done of the partitions kept is committed now; the revoked ones are no longer
      // owned, so none of theirs goes out, and their leases end.
      this.handoffs.rebalancing();
      this.leases.release(revoked);
    }
    return true;
  }
}
