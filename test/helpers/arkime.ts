import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One real Arkime session from the fixture corpus (see test/fixtures/arkime/README.md). */
export interface ArkimeSession {
  pcap: string;
  index: string;
  id: string;
  doc: Record<string, unknown>;
}

const fixtures = new URL('../../../test/fixtures/arkime/', import.meta.url);

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
