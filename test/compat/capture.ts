// Real answers of one search server, saved as fixtures for test/search/classify.test.ts (see
// test/fixtures/responses/README.md): the bulk requests the indexer sends, in every case the
// classifier tells apart, and GET / with its headers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSessions, type ArkimeSession } from '../../stack/arkime.js';
import { call } from '../../stack/search-client.js';

export const bulkQuery = 'timeout=60000ms&filter_path=errors,items.*.status,items.*.error';

export interface Captured {
  server: string;
  version: string;
  request: { path: string; items?: number; describe: string | string[] };
  status: number;
  headers?: Record<string, string>;
  body: string;
}

const pair = (index: string, s: ArkimeSession, doc: unknown = s.doc, action = 'index'): string =>
  `{"${action}":{"_index":"${index}", "_id": "${s.id}"}}\n${JSON.stringify(doc)}\n`;

function actionCount(body: string): number {
  return body.split('\n').filter((l) => /^\{"(index|create|update|delete)"/.test(l)).length;
}

export async function bulk(url: string, body: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}/_bulk?${bulkQuery}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
  return { status: response.status, body: await response.text() };
}

export class Capture {
  readonly captured = new Map<string, Captured>();
  constructor(
    readonly server: string,
    readonly version: string,
  ) {}

  add(
    name: string,
    describe: string | string[],
    body: string,
    answer: { status: number; body: string },
  ): Captured {
    const fixture: Captured = {
      server: this.server,
      version: this.version,
      request: { path: `/_bulk?${bulkQuery}`, items: actionCount(body), describe },
      status: answer.status,
      body: answer.body,
    };
    this.captured.set(name, fixture);
    return fixture;
  }

  /** Writes each as `<server>-<version>-<case>.json` into `dir`. */
  save(dir: string): void {
    mkdirSync(dir, { recursive: true });
    for (const [name, fixture] of this.captured)
      writeFileSync(
        join(dir, `${this.server}-${this.version}-${name}.json`),
        `${JSON.stringify(fixture, null, 2)}\n`,
      );
  }
}

/** The cases every server answers the same way it always does (prefix has its template installed). */
export async function captureItemCases(capture: Capture, url: string, prefix: string): Promise<void> {
  const sessions = readSessions();
  const s = (i: number): ArkimeSession => sessions[i]!;
  const indexOf = (x: ArkimeSession): string => `${prefix}-${x.index.split('-').at(-1)}`;
  const allOk = [0, 1, 2].map((i) => pair(indexOf(s(i)), s(i))).join('');
  capture.add('all-ok', 'index of sessions 0-2 (new ids)', allOk, await bulk(url, allOk));
  const itemErrors =
    pair(indexOf(s(3)), s(3)) +
    pair(indexOf(s(4)), s(4), { ...s(4).doc, firstPacket: 'yesterday' }) +
    pair(indexOf(s(5)), s(5), {
      ...s(5).doc,
      source: { ...(s(5).doc['source'] as object), ip: 'not-an-ip' },
    }) +
    `{"delete":{"_index":"${indexOf(s(3))}", "_id": "no-such-session"}}\n` +
    pair(indexOf(s(0)), s(0), s(0).doc, 'create') +
    pair(indexOf(s(6)), s(6));
  capture.add(
    'item-errors',
    [
      '0 index of session 3 (good)',
      '1 index of session 4 with "firstPacket":"yesterday"',
      '2 index of session 5 with "source":{"ip":"not-an-ip"}',
      '3 delete of an _id that does not exist',
      '4 create of session 0, indexed by the all-ok request (version conflict)',
      '5 index of session 6 (good)',
    ],
    itemErrors,
    await bulk(url, itemErrors),
  );
  const deleteMissing = `{"delete":{"_index":"${prefix}_absent-1", "_id": "no-such-session"}}\n`;
  capture.add(
    'delete-missing-index',
    'delete of an _id in an index that does not exist',
    deleteMissing,
    await bulk(url, deleteMissing),
  );
  const malformed = 'this is not json\n{}\n';
  capture.add(
    'malformed-request',
    'a body whose first line is not JSON: the whole request is refused',
    malformed,
    await bulk(url, malformed),
  );
  const blockedIndex = `${prefix}-blocked`;
  await call('PUT', `${url}/${blockedIndex}`);
  await call('PUT', `${url}/${blockedIndex}/_settings`, { 'index.blocks.write': true });
  const blocked = pair(blockedIndex, s(7)) + pair(blockedIndex, s(8));
  capture.add(
    'write-block',
    'index of sessions 7 and 8 into an index with index.blocks.write',
    blocked,
    await bulk(url, blocked),
  );
  await call('PUT', `${url}/${blockedIndex}/_settings`, { 'index.blocks.write': null });
}

/**
 * Parallel bulks at a node whose write pool has one thread and a queue of one, until it has
 * rejected items of a bulk (a 200 with items of status 429) and, if it does so too, a whole
 * request (a 429); both kept when seen. Bounded: at most 30 rounds.
 */
export async function captureRejections(capture: Capture, url: string, prefix: string): Promise<Captured[]> {
  const sessions = readSessions().slice(0, 200);
  const body = sessions.map((x) => pair(`${prefix}-${x.index.split('-').at(-1)}`, x)).join('');
  const describe = (parallel: number): string =>
    `${parallel} parallel bulks of sessions 0-199 (over 100 daily indices) at a node with thread_pool.write.size=1 and queue_size=1`;
  for (let round = 0; round < 30 && !capture.captured.has('rejected-items'); round++) {
    const parallel = round % 2 === 0 ? 2 : 8;
    const answers = await Promise.all(Array.from({ length: parallel }, () => bulk(url, body)));
    const items = answers.find((a) => a.status === 200 && a.body.includes('"status":429'));
    if (items !== undefined)
      capture.add('rejected-items', `${describe(parallel)}: an answer with rejected items`, body, items);
    const request = answers.find((a) => a.status === 429);
    if (request !== undefined && !capture.captured.has('rejected-request'))
      capture.add('rejected-request', `${describe(parallel)}: a whole request rejected`, body, request);
  }
  const kept = ['rejected-items', 'rejected-request'].flatMap((name) => capture.captured.get(name) ?? []);
  if (kept.length === 0) throw new Error('30 rounds of parallel bulks and no rejection');
  return kept;
}

/** GET / as the indexer's check and node discovery see it: status, product headers and body. */
export async function captureRoot(capture: Capture, url: string): Promise<Captured> {
  const response = await fetch(`${url}/`);
  const headers = Object.fromEntries(
    [...response.headers].filter(([name]) => !['content-length', 'content-encoding'].includes(name)),
  );
  const fixture: Captured = {
    server: capture.server,
    version: capture.version,
    request: {
      path: '/',
      describe: 'GET / (the integ-test builds of Elasticsearch 8 and 9 have no handler for it)',
    },
    status: response.status,
    headers,
    body: await response.text(),
  };
  capture.captured.set('root', fixture);
  return fixture;
}

/**
 * Two bulks at once into a new index, each with one session that brings a field the template
 * leaves to dynamic mapping (`dstTTL`), as numbers in one and as strings in the other. Kept when a
 * server refuses one of them for the mapping the other has just added (OpenSearch 1.3 does, now
 * and then); later releases parse such a document again against the new mapping. Bounded: at
 * most `rounds` new indices.
 */
export async function captureMappingRace(
  capture: Capture,
  url: string,
  prefix: string,
  rounds = 20,
): Promise<Captured | undefined> {
  const sessions = readSessions();
  const ttl = (kind: string): number =>
    sessions.findIndex((x) => {
      const values = x.doc['dstTTL'];
      return Array.isArray(values) && typeof values[0] === kind;
    });
  const pick = [ttl('number'), ttl('string')];
  if (pick.some((i) => i < 0)) throw new Error('the corpus has no dstTTL of both kinds');
  const kinds = ['numbers', 'strings'];
  for (let round = 0; round < rounds; round++) {
    const index = `${prefix}-race${round}`;
    const bodies = pick.map((i) => pair(index, sessions[i]!));
    const answers = await Promise.all(bodies.map((body) => bulk(url, body)));
    const raced = answers.findIndex((a) => a.body.includes('cannot be changed from type'));
    if (raced >= 0) {
      const other = 1 - raced;
      return capture.add(
        'mapping-race',
        `index of session ${pick[raced]} (dstTTL as ${kinds[raced]}) into a new index, in parallel with a ` +
          `bulk of session ${pick[other]} (dstTTL as ${kinds[other]}); round ${round + 1}`,
        bodies[raced]!,
        answers[raced]!,
      );
    }
  }
  return undefined;
}
