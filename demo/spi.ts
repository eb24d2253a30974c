// What the demo puts on the topic: the real sample SPI, re-dated to today as live capture would
// write it, as three Arkime capture clusters would send it (one per kafkaMsgFormat, each with
// its own index prefix), with one document per format that breaks the sessions3 mapping and
// one message that is not Arkime's at all.
import {
  arkimeMessages,
  copiesOf,
  indexFor,
  readSessions,
  type ArkimeFormat,
  type ArkimeSession,
} from '../stack/arkime.js';

export const formats: readonly ArkimeFormat[] = ['bulk', 'bulk1', 'doc'];

const dayMs = 86_400_000;

/** yymmdd, as Arkime names daily indices. */
function dayName(ms: number): string {
  return new Date(ms).toISOString().slice(2, 10).replaceAll('-', '');
}

/** The session moved to `today` (UTC), keeping its time of day and duration, as capture writes it now. */
function redated(session: ArkimeSession, today: number): ArkimeSession {
  const doc = session.doc as Record<string, unknown> & {
    firstPacket: number;
    lastPacket: number;
    '@timestamp': number;
    packetRange: { gte: number; lte: number };
  };
  const shift = today - (doc.firstPacket - (doc.firstPacket % dayMs));
  const day = dayName(today);
  return {
    ...session,
    index: `arkime_sessions3-${day}`,
    id: `${day}-${session.id.slice(session.id.indexOf('-') + 1)}`,
    doc: {
      ...doc,
      firstPacket: doc.firstPacket + shift,
      lastPacket: doc.lastPacket + shift,
      '@timestamp': doc['@timestamp'] + shift,
      packetRange: { gte: doc.packetRange.gte + shift, lte: doc.packetRange.lte + shift },
    },
  };
}

/** One way per format to break Arkime's mapping, as a misbehaving enrichment step might. */
const breakers: Record<ArkimeFormat, (doc: Record<string, unknown>) => Record<string, unknown>> = {
  bulk: (doc) => ({ ...doc, firstPacket: 'yesterday' }),
  bulk1: (doc) => ({ ...doc, source: { ip: 'not-an-ip' } }),
  doc: (doc) => ({ ...doc, lastPacket: 'never' }),
};

export const notArkime = Buffer.from('GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n');

export interface DemoTraffic {
  /** Kafka message values, in the order to produce them. */
  messages: Buffer[];
  /** Documents sent, and how many of them break the mapping. */
  documents: number;
  broken: number;
  /** Messages refused whole before indexing. */
  rejectedMessages: number;
  /** The index prefix of each format (its indices are `<prefix>-<yymmdd>`). */
  prefixes: Record<ArkimeFormat, string>;
  /** Documents sent to each index. */
  sent: Map<string, number>;
}

/**
 * The first `count` sessions of the corpus, `copies` times (each copy with its own ids), in every
 * format, for indices named `<base><format>_sessions3-<yymmdd>`.
 */
export function demoTraffic(base: string, count: number, copies: number, now = Date.now()): DemoTraffic {
  const today = now - (now % dayMs);
  const corpus = readSessions()
    .slice(0, count)
    .map((s) => redated(s, today));
  const sessions = copies === 1 ? corpus : copiesOf(corpus, copies, 'copy');
  const prefixes = Object.fromEntries(formats.map((f) => [f, `${base}${f}_sessions3`])) as Record<
    ArkimeFormat,
    string
  >;
  const messages = formats.flatMap((format, k) => {
    const broken = sessions.map((s, i) => (i === 2 + 3 * k ? { ...s, doc: breakers[format](s.doc) } : s));
    return arkimeMessages(broken, format, prefixes[format]);
  });
  messages.push(notArkime);
  const sent = new Map<string, number>();
  for (const format of formats) {
    for (const s of sessions) {
      const index = indexFor(s, prefixes[format]);
      sent.set(index, (sent.get(index) ?? 0) + 1);
    }
  }
  return {
    sent,
    messages,
    documents: sessions.length * formats.length,
    broken: formats.length,
    rejectedMessages: 1,
    prefixes,
  };
}
