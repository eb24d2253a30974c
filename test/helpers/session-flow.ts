// Arkime sessions produced at a steady rate while a test breaks something, as a sensor would go
// on writing them: copies of the corpus, each with ids of its own, until the test says stop.
import { setTimeout as sleep } from 'node:timers/promises';
import { ProduceAcks, Producer } from '@platformatic/kafka';
import { arkimeMessages, readSessions, type ArkimeSession } from '../../stack/arkime.js';

export interface FlowOptions {
  bootstrap: string;
  topic: string;
  partitions: number;
  /** The index prefix of the run (indexFor). */
  prefix: string;
  /** Sessions per second (one `bulk1` message each). */
  perSecond: number;
  /** At least this many are produced, even when the test is done sooner. */
  minSessions: number;
  /** Never more than this many (copies of the 702-session corpus beyond it are not made). */
  maxSessions: number;
}

/**
 * Every session goes to one day's index: the corpus spans 130 days, and creating 130 indices
 * on a fresh node takes longer than a fault test should wait for indexing to start.
 */
export const flowDay = 'arkime_sessions3-250124';

const tickMs = 250;
/** A send the brokers refuse for longer than this fails the test: the fault outlived its bound. */
const sendDeadlineMs = 120_000;

export class SessionFlow {
  /** Every session produced, acknowledged by all in-sync replicas (acks=all, set per send). */
  readonly produced: ArkimeSession[] = [];
  /** Sends tried again after the client gave up on them (a broker gone, a leader moving). */
  resends = 0;
  private readonly corpus = readSessions();
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  private enough = false;
  private gate: Promise<void> = Promise.resolve();
  private openGate: () => void = () => undefined;
  private atGate: () => void = () => undefined;
  private sent = 0;
  readonly done: Promise<void>;

  constructor(private readonly options: FlowOptions) {
    this.producer = new Producer({
      clientId: 'test-flow',
      bootstrapBrokers: options.bootstrap.split(','),
    });
    this.done = this.run().finally(() => this.producer.close());
  }

  /** From now on the flow ends once `minSessions` are produced. */
  finish(): Promise<void> {
    this.enough = true;
    return this.done;
  }

  /**
   * Holds production, resolving once no send is under way (before the whole cluster goes down:
   * a send the client gave up on may still have landed, and its resend would land twice).
   */
  pause(): Promise<void> {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
    return Promise.race([new Promise<void>((resolve) => (this.atGate = resolve)), this.done]);
  }

  resume(): void {
    this.openGate();
  }

  /** Sends `values` now, between two ticks of the flow (e.g. documents the mapping refuses). */
  async inject(values: Buffer[]): Promise<void> {
    await this.send(values);
  }

  private async run(): Promise<void> {
    const perTick = Math.max(1, Math.round((this.options.perSecond * tickMs) / 1000));
    let pending: ArkimeSession[] = [];
    for (let copy = 0; ;) {
      const full = this.produced.length >= this.options.maxSessions;
      if (full || (this.enough && this.produced.length >= this.options.minSessions)) return;
      if (pending.length === 0) {
        pending = this.corpus.map((s) => ({ ...s, index: flowDay, id: `${s.id}-flow${copy}` }));
        copy += 1;
      }
      const started = Date.now();
      this.atGate();
      await this.gate;
      const chunk = pending.splice(0, Math.min(perTick, this.options.maxSessions - this.produced.length));
      await this.send(arkimeMessages(chunk, 'bulk1', this.options.prefix));
      this.produced.push(...chunk);
      await sleep(Math.max(0, tickMs - (Date.now() - started)));
    }
  }

  private async send(values: Buffer[]): Promise<void> {
    const deadline = Date.now() + sendDeadlineMs;
    const messages = values.map((value) => ({
      topic: this.options.topic,
      value,
      partition: this.sent++ % this.options.partitions,
    }));
    for (;;) {
      try {
        await this.producer.send({ messages, acks: ProduceAcks.ALL });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        this.resends += 1;
        await sleep(500);
      }
    }
  }
}
