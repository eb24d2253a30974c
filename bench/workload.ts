// The benchmark's workload: the real Arkime corpus copied to any number of documents, each with
// a fresh `_id`, timestamps moved to now and today's index, as live capture writes them; cut
// into Kafka messages the way Arkime's kafka plugin does (bulk: ~dbBulkSize bytes, bulk1: one
// document each).
import { Producer } from '@platformatic/kafka';
import { readSessions } from '../stack/arkime.js';

export type Format = 'bulk' | 'bulk1';

interface Template {
  /** The document as JSON, timestamps already moved to now. */
  json: string;
  id: string;
}

function yymmdd(date: Date): string {
  return date.toISOString().slice(2, 10).replaceAll('-', '');
}

/** Moves a session's times so that its last packet is `now`, keeping its duration. */
function toNow(doc: Record<string, unknown>, now: number): Record<string, unknown> {
  const last = Number(doc['lastPacket']);
  const shift = Number.isFinite(last) ? now - last : 0;
  const moved = { ...doc };
  for (const key of ['firstPacket', 'lastPacket', '@timestamp']) {
    const value = moved[key];
    if (typeof value === 'number') moved[key] = value + shift;
  }
  const range = moved['packetRange'] as { gte?: number; lte?: number } | undefined;
  if (range && typeof range.gte === 'number' && typeof range.lte === 'number') {
    moved['packetRange'] = { gte: range.gte + shift, lte: range.lte + shift };
  }
  return moved;
}

export class Workload {
  readonly index: string;
  private readonly templates: Template[];

  constructor(
    readonly documents: number,
    readonly tag: string,
    indexPrefix = 'arkime_sessions3',
  ) {
    const now = Date.now();
    this.index = `${indexPrefix}-${yymmdd(new Date(now))}`;
    this.templates = readSessions().map((s) => ({ json: JSON.stringify(toNow(s.doc, now)), id: s.id }));
  }

  /** The action and document lines of document `k`, exactly as Arkime writes them. */
  pair(k: number, index = this.index): string {
    const template = this.templates[k % this.templates.length] as Template;
    return `{"index":{"_index":"${index}", "_id": "${template.id}-${this.tag}${k}"}}\n${template.json}\n`;
  }

  /** Message values, `bulk` packed up to `dbBulkSize` bytes or `bulk1` one document each. */
  *messages(
    format: Format,
    dbBulkSize = 500_000,
    index = this.index,
  ): Generator<{ value: Buffer; documents: number }> {
    if (format === 'bulk1') {
      for (let k = 0; k < this.documents; k += 1)
        yield { value: Buffer.from(this.pair(k, index)), documents: 1 };
      return;
    }
    let parts: string[] = [];
    let bytes = 0;
    for (let k = 0; k < this.documents; k += 1) {
      const pair = this.pair(k, index);
      if (bytes > 0 && bytes + pair.length > dbBulkSize) {
        yield { value: Buffer.from(parts.join('')), documents: parts.length };
        parts = [];
        bytes = 0;
      }
      parts.push(pair);
      bytes += pair.length;
    }
    if (parts.length > 0) yield { value: Buffer.from(parts.join('')), documents: parts.length };
  }

  /** Bytes of all documents' lines: the payload every scenario moves. */
  totalBytes(): number {
    let bytes = 0;
    for (let k = 0; k < this.documents; k += 1) bytes += Buffer.byteLength(this.pair(k));
    return bytes;
  }
}

/** Produces the workload to `topic` round-robin over its partitions; returns the number of messages. */
export async function produceWorkload(
  bootstrap: string,
  topic: string,
  partitions: number,
  messages: Iterable<{ value: Buffer }>,
): Promise<number> {
  const producer = new Producer({ clientId: 'bench-producer', bootstrapBrokers: [bootstrap], acks: 1 });
  let count = 0;
  let batch: { topic: string; value: Buffer; partition: number }[] = [];
  let batchBytes = 0;
  try {
    for (const { value } of messages) {
      batch.push({ topic, value, partition: count % partitions });
      batchBytes += value.length;
      count += 1;
      if (batchBytes > 4_000_000 || batch.length >= 1000) {
        await producer.send({ messages: batch });
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length > 0) await producer.send({ messages: batch });
  } finally {
    await producer.close();
  }
  return count;
}
