// What every conformance case ends with: every produced `_id` accounted for exactly once,
// in the index or on the failure topic, and no committed position of the group that moved back in
// `__consumer_offsets`. One log line per case carries the figures the closing note's table needs.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { bulkLines, type ArkimeSession } from '../../stack/arkime.js';
import {
  positionsMovedBack,
  readCommitHistory,
  type CommitHistory,
  type MovedBack,
} from '../../stack/consumer-offsets.js';
import { endOffsets, readRecords } from '../../stack/kafka-topics.js';
import { allDocuments, count } from '../../stack/search-client.js';
import type { IndexerProcess } from '../helpers/indexer.js';

/** Where a case's sessions may end up. */
export interface Destinations {
  bootstrap: string;
  /** The search cluster's URL. */
  url: string;
  /** The indices the case writes to, e.g. `<prefix>-*`. */
  pattern: string;
  /** The failure topic, if the indexer had one. */
  failures?: string;
}

export interface Accounting {
  produced: number;
  /** Documents in the indices. */
  indexed: number;
  /** Records on the failure topic. */
  onFailureTopic: number;
  /** Produced ids found nowhere. */
  missing: string[];
  /** Ids found that were never produced. */
  unexpected: string[];
  /** Produced ids found more than once (in two indices, on the failure topic twice, or in both). */
  duplicates: string[];
  /** Documents written more than once (`_version` above 1): the same id indexed again, not a copy. */
  rewritten: number;
}

/** Polls `check` every 250 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function pollUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

/** The indexer's log lines whose `msg` is exactly `msg`. */
export const linesSaying = (indexer: IndexerProcess, msg: string): Record<string, unknown>[] =>
  indexer.lines.filter((l) => l['msg'] === msg);

/**
 * The sessions as bulk1 messages (Arkime's kafka plugin, one session a message), all to one
 * daily index of the case's own, `<prefix>-conformance`: the corpus spans 130 days, and 130 new
 * indices a case would cost the search node more time than the case itself.
 */
export const bulk1 = (sessions: ArkimeSession[], prefix: string): Buffer[] =>
  sessions.map((s) => Buffer.from(bulkLines(s, `${prefix}-conformance`)));

/** The sessions of a topic's second life (or any further batch), each with an `_id` of its own. */
export function renamed(sessions: ArkimeSession[], tag: string): ArkimeSession[] {
  return sessions.map((s) => ({ ...s, id: `${s.id}-${tag}` }));
}

async function failureTopicLength(to: Destinations): Promise<number> {
  if (to.failures === undefined) return 0;
  const ends = await endOffsets(to.bootstrap, to.failures);
  return Number(ends.reduce((sum, end) => sum + end, 0n));
}

/** Where each produced id went: the index (after a refresh) and the failure topic (its `aki.id` header). */
export async function account(to: Destinations, produced: Iterable<string>): Promise<Accounting> {
  const expected = new Set(produced);
  assert.ok(expected.size <= 10_000, 'allDocuments reads up to 10,000 documents');
  const documents = await allDocuments(to.url, to.pattern);
  const failureCount = await failureTopicLength(to);
  const failed =
    failureCount === 0 || to.failures === undefined
      ? []
      : await readRecords(to.bootstrap, to.failures, failureCount);
  const seen = new Map<string, number>();
  const found = [...documents.map((d) => d._id), ...failed.map((r) => r.headers.get('aki.id') ?? '')];
  for (const id of found) seen.set(id, (seen.get(id) ?? 0) + 1);
  return {
    produced: expected.size,
    indexed: documents.length,
    onFailureTopic: failed.length,
    missing: [...expected].filter((id) => !seen.has(id)),
    unexpected: [...seen.keys()].filter((id) => !expected.has(id)),
    duplicates: [...seen].filter(([id, n]) => n > 1 && expected.has(id)).map(([id]) => id),
    rewritten: documents.filter((d) => d._version > 1).length,
  };
}

/**
 * Waits until as many documents are indexed and failure records written as ids were produced
 * (cheap counts, not the documents), or `timeoutMs` passes; the accounting that follows says
 * what is missing if it timed out. Returns whether the counts were reached.
 */
export async function waitAccounted(
  indexer: IndexerProcess,
  to: Destinations,
  produced: number,
  timeoutMs = 60_000,
): Promise<boolean> {
  return indexer
    .waitFor(
      `${produced} documents indexed or on the failure topic`,
      async () => (await count(to.url, to.pattern)) + (await failureTopicLength(to)) >= produced,
      timeoutMs,
    )
    .then(
      () => true,
      () => false,
    );
}

export interface Conclusion {
  accounting: Accounting;
  history: CommitHistory;
  movedBack: MovedBack[];
}

/**
 * The end of every case: accounts for the produced ids, reads the group's commits from
 * `__consumer_offsets`, logs the case's figures, then asserts every id accounted for exactly once,
 * no position moved back, and at least one commit seen (a reader that found none read the
 * wrong partition of `__consumer_offsets`, and would find nothing wrong).
 */
export async function conclude(
  name: string,
  to: Destinations,
  group: string,
  produced: Iterable<string>,
): Promise<Conclusion> {
  const accounting = await account(to, produced);
  const history = await readCommitHistory(to.bootstrap, group);
  const movedBack = positionsMovedBack(history);
  const { indexed, onFailureTopic, missing, unexpected, duplicates } = accounting;
  console.log(
    `[conformance] ${name}: produced ${accounting.produced}, indexed ${indexed}, failure topic ${onFailureTopic}, moved back ${movedBack.length}`,
  );
  const sample = (ids: string[]): string => `${ids.length} (${ids.slice(0, 5).join(', ')})`;
  assert.deepEqual(
    { missing: missing.length, unexpected: unexpected.length, duplicates: duplicates.length },
    { missing: 0, unexpected: 0, duplicates: 0 },
    `${name}: missing ${sample(missing)}, unexpected ${sample(unexpected)}, duplicates ${sample(duplicates)}`,
  );
  assert.ok(history.size > 0, `${name}: no commit of group ${group} found in __consumer_offsets`);
  assert.deepEqual(movedBack, [], `${name}: committed positions moved back`);
  return { accounting, history, movedBack };
}
