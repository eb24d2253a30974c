// What `replay` prints: the dry run's table (records by error type and index, the oldest and the
// newest), the summary at the end (read, selected, indexed, refused again by reason), and its
// progress while it runs: a bar redrawn in place on a terminal, a plain line now and then
// otherwise (a log file or CI keeps every line, so they must be few and complete).
import type { ReplayRecord } from './selection.js';
import { unknown } from './selection.js';

/** Columns padded to their widest cell; the columns named in `right` aligned to the right. */
export function table(rows: string[][], right: ReadonlySet<number> = new Set()): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (right.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

const count = (n: number): string => n.toLocaleString('en-US');

/** The records a dry run would replay: counts by error type and index, and the oldest and newest. */
export class DryRunTally {
  private readonly counts = new Map<string, number>();
  private oldest: ReplayRecord | undefined;
  private newest: ReplayRecord | undefined;
  read = 0;
  selected = 0;

  add(r: ReplayRecord, selected: boolean): void {
    this.read += 1;
    if (!selected) return;
    this.selected += 1;
    const key = JSON.stringify([r.errorType, r.index ?? unknown]);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (this.oldest === undefined || r.record.timestamp < this.oldest.record.timestamp) this.oldest = r;
    if (this.newest === undefined || r.record.timestamp >= this.newest.record.timestamp) this.newest = r;
  }

  lines(topic: string): string[] {
    const rows = [...this.counts]
      .map(([key, n]) => [...(JSON.parse(key) as [string, string]), count(n)])
      .sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? '') || (a[1] ?? '').localeCompare(b[1] ?? ''));
    const lines = [
      `Dry run of ${topic}: ${count(this.read)} records read, ${count(this.selected)} selected; nothing indexed.`,
      '',
      ...table(
        [['error type', 'index', 'records'], ...rows, ['total', '', count(this.selected)]],
        new Set([2]),
      ),
    ];
    if (this.oldest !== undefined && this.newest !== undefined) {
      lines.push(
        '',
        ...table([
          ['oldest', ...whereAndWhen(this.oldest)],
          ['newest', ...whereAndWhen(this.newest)],
        ]),
      );
    }
    return lines;
  }
}

function whereAndWhen(r: ReplayRecord): string[] {
  const id = r.record.headers.get('aki.id');
  return [
    new Date(r.record.timestamp).toISOString(),
    `partition ${r.record.partition} offset ${r.record.offset}`,
    `${r.errorType}${id === undefined ? '' : ` _id ${id}`}`,
  ];
}

/** The counts a replay reports as it goes and at its end. */
export interface ReplayCounts {
  /** Records in the range to read. */
  total: number;
  read: number;
  selected: number;
  indexed: number;
  /** Documents refused again, by error type. */
  refused: Map<string, number>;
  /** A dry run indexes nothing: its progress says only what was read and picked. */
  dryRun?: boolean;
}

export const refusedTotal = (counts: ReplayCounts): number =>
  [...counts.refused.values()].reduce((sum, n) => sum + n, 0);

/** The table at the end of a replay. */
export function summaryLines(counts: ReplayCounts, topic: string, failedTo: string): string[] {
  const refused = [...counts.refused].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const rows = [
    ['read', count(counts.read), ''],
    ['selected', count(counts.selected), ''],
    ['indexed', count(counts.indexed), ''],
    ['refused again', count(refusedTotal(counts)), refused.length > 0 ? `to ${failedTo}` : ''],
    ...refused.map(([type, n]) => [`  ${type}`, count(n), '']),
  ];
  return [`Replay of ${topic}:`, '', ...table(rows, new Set([1]))];
}

/** One progress line, for logs. */
export function progressLine(counts: ReplayCounts): string {
  const read = `replay: ${count(counts.read)} of ${count(counts.total)} records read, ${count(counts.selected)} selected`;
  return counts.dryRun === true ? read : `${read}, ${outcome(counts)}`;
}

const outcome = (counts: ReplayCounts): string =>
  `${count(counts.indexed)} indexed, ${count(refusedTotal(counts))} refused again`;

/** The bar, for a terminal: redrawn in place with '\r'. */
export function progressBar(counts: ReplayCounts, width = 30): string {
  const done = counts.total === 0 ? 1 : Math.min(1, counts.read / counts.total);
  const filled = Math.round(done * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const read = `${count(counts.read)}/${count(counts.total)} read`;
  const what =
    counts.dryRun === true ? `${read}, ${count(counts.selected)} selected` : `${read}, ${outcome(counts)}`;
  return `\r${bar} ${String(Math.floor(done * 100)).padStart(3)}%  ${what}`;
}

export interface ProgressOptions {
  write: (text: string) => void;
  terminal: boolean;
  now: () => number;
  /** Plain lines at most this often (the last one is always written). */
  lineIntervalMs?: number;
}

/** Progress as counts change: every change on a terminal, every `lineIntervalMs` otherwise. */
export function progressReporter(options: ProgressOptions): {
  update: (counts: ReplayCounts) => void;
  done: (counts: ReplayCounts) => void;
} {
  const { write, terminal, now, lineIntervalMs = 5000 } = options;
  let last = -Infinity;
  return {
    update(counts) {
      if (terminal) return write(progressBar(counts));
      if (now() - last < lineIntervalMs) return;
      last = now();
      write(`${progressLine(counts)}\n`);
    },
    done(counts) {
      write(terminal ? `${progressBar(counts)}\n` : `${progressLine(counts)}\n`);
    },
  };
}
