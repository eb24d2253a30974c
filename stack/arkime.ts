import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One real Arkime session from the fixture corpus (see test/fixtures/arkime/README.md). */
export interface ArkimeSession {
  pcap: string;
  index: string;
  id: string;
  doc: Record<string, unknown>;
}

const fixtures = new URL('../../test/fixtures/arkime/', import.meta.url);

export const sessions3TemplatePath = fileURLToPath(new URL('sessions3-template.json', fixtures));

export function readSessions(): ArkimeSession[] {
  return readFileSync(new URL('spi-sessions.jsonl', fixtures), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ArkimeSession);
}

/** The session as Arkime's kafka plugin writes it in `bulk`/`bulk1` format: an action line and a document line. */
export function bulkLines(session: ArkimeSession, index = session.index): string {
  return `{"index":{"_index":"${index}", "_id": "${session.id}"}}\n${JSON.stringify(session.doc)}\n`;
}

export type ArkimeFormat = 'bulk' | 'bulk1' | 'doc';

/** The session's index with its `arkime_sessions3` prefix replaced, so each test writes to indices of its own. */
export function indexFor(session: ArkimeSession, prefix: string): string {
  return `${prefix}-${session.index.split('-').at(-1)}`;
}

/**
 * Kafka message values as Arkime's kafka plugin writes them for `kafkaMsgFormat`: bulk packs
 * action/document pairs up to `dbBulkSize` bytes a message, bulk1 one pair a message, doc the
 * document alone with the target index in an "index" field.
 */
export function arkimeMessages(
  sessions: ArkimeSession[],
  format: ArkimeFormat,
  prefix: string,
  dbBulkSize = 500_000,
): Buffer[] {
  if (format === 'doc') {
    return sessions.map((s) => Buffer.from(JSON.stringify({ ...s.doc, index: indexFor(s, prefix) })));
  }
  const pairs = sessions.map((s) => bulkLines(s, indexFor(s, prefix)));
  if (format === 'bulk1') return pairs.map((p) => Buffer.from(p));
  const messages: Buffer[] = [];
  let current = '';
  for (const pair of pairs) {
    if (current !== '' && Buffer.byteLength(current) + Buffer.byteLength(pair) > dbBulkSize) {
      messages.push(Buffer.from(current));
      current = '';
    }
    current += pair;
  }
  if (current !== '') messages.push(Buffer.from(current));
  return messages;
}

/** `copies` copies of the sessions, each with its own `_id`, so that counts tell duplicates from losses. */
export function copiesOf(sessions: ArkimeSession[], copies: number, tag: string): ArkimeSession[] {
  return Array.from({ length: copies }, (_, k) =>
    sessions.map((s) => ({ ...s, id: `${s.id}-${tag}${k}` })),
  ).flat();
}
