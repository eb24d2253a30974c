// The demo's closing table: what landed where, what failed and why (read back from the failure
// topic, as an operator would), how fast, and where to look.
import { readRecords } from '../stack/kafka-topics.js';
import { call } from '../stack/search-client.js';

export interface IndexCount {
  index: string;
  documents: number;
}

/** Document count of every index matching `patterns`, after a refresh, sorted by name. */
export async function indexCounts(url: string, patterns: string[]): Promise<IndexCount[]> {
  const list = patterns.join(',');
  await call('POST', `${url}/${list}/_refresh?ignore_unavailable=true&allow_no_indices=true`);
  const rows = (await call('GET', `${url}/_cat/indices/${list}?format=json&h=index,docs.count`)) as {
    index: string;
    'docs.count': string;
  }[];
  return rows
    .map((row) => ({ index: row.index, documents: Number(row['docs.count']) }))
    .sort((a, b) => a.index.localeCompare(b.index));
}

export interface Failure {
  type: string;
  index: string;
  id: string;
  reason: string;
}

/** The failure topic's records, as the headers the indexer wrote on each describe them. */
export async function failureRecords(bootstrap: string, topic: string, count: number): Promise<Failure[]> {
  if (count === 0) return [];
  const records = await readRecords(bootstrap, topic, count, 15_000);
  return records.map(({ headers }) => ({
    type: headers.get('aki.error.type') ?? '?',
    index: headers.get('aki.index') ?? '-',
    id: headers.get('aki.id') ?? '-',
    reason: headers.get('aki.error.reason') ?? '',
  }));
}

/** Rows as aligned columns; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  const line = (row: string[]): string =>
    row
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n');
}

const shorten = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

export interface Summary {
  sent: Map<string, number>;
  counts: IndexCount[];
  failures: Failure[];
  failureTopic: string;
  seconds: number;
  /** Seconds from the indexer's start until the first document was indexed. */
  firstSeconds: number;
  indexedDocuments: number;
  indexedBytes: number;
  urls: [string, string][];
}

const number = (n: number): string => n.toLocaleString('en');

/** The cluster's reason without the document id it repeats, so the value at fault shows. */
const detail = (reason: string): string => shorten(reason.replace(/ in document with id '[^']*'/, ''), 90);

export function report(summary: Summary): string {
  const { counts, failures, seconds, firstSeconds, indexedDocuments, indexedBytes } = summary;
  const indices = [...new Set([...summary.sent.keys(), ...counts.map((c) => c.index)])];
  const rows = indices.map((index) => [
    summary.sent.get(index) ?? 0,
    counts.find((c) => c.index === index)?.documents ?? 0,
    failures.filter((f) => f.index === index).length,
  ]);
  const sum = (column: number): number => rows.reduce((total, row) => total + row[column]!, 0);
  return [
    table([
      ['index', 'sent', 'indexed', 'failed'],
      ...indices.map((index, i) => [index, ...rows[i]!.map(number)]),
      ['total', number(sum(0)), number(sum(1)), number(sum(2))],
    ]),
    '',
    `failures on ${summary.failureTopic}: ${failures.length}`,
    table([
      ['error type', 'index', '_id', 'reason'],
      ...failures.map((f) => [f.type, f.index, f.id, detail(f.reason)]),
    ]),
    '',
    `throughput: ${number(indexedDocuments)} documents (${(indexedBytes / 1e6).toFixed(1)} MB) in ` +
      `${seconds.toFixed(1)} s from the indexer's start, the first after ${firstSeconds.toFixed(1)} s: ` +
      `${number(Math.round(indexedDocuments / seconds))} documents/s overall, ` +
      `${number(Math.round(indexedDocuments / Math.max(seconds - firstSeconds, 0.001)))} after the first`,
    '',
    table([['look at', 'URL'], ...summary.urls.map(([what, url]) => [what, url])]),
  ].join('\n');
}
