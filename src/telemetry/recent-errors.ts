// The last few distinct errors, for the status page. Fed by the logger (createLogger's `tap`):
// every warning or error is logged once, in one place, so this ring needs no call site of its own
// and sees each line after the logger has blanked the secrets out of it. The one place where the
// field values the search cluster quotes are cut from what the page and /status.json show
// (./field-values.ts): the log line itself keeps them.
import { hideFieldValues } from './field-values.js';

/** Pino's numeric levels from which a line counts as an error for the status page. */
const levelNames: Record<number, RecentError['level']> = { 40: 'warn', 50: 'error', 60: 'fatal' };

/** Long enough for an Elasticsearch reason; a stack trace or a document preview is cut. */
const maxDetailLength = 300;

export interface RecentError {
  level: 'warn' | 'error' | 'fatal';
  component: string;
  /** The log line's message: what happened. */
  message: string;
  /** The error's type or code when the line names one (mapper_parsing_exception, ECONNREFUSED). */
  type: string;
  /** The latest occurrence's error text, cut to a few hundred characters. */
  detail: string;
  /** Occurrences since the process started (while this entry stayed in the ring). */
  count: number;
  firstSeen: string;
  lastSeen: string;
}

interface LogLine {
  level?: number;
  time?: string;
  component?: string;
  msg?: string;
  errorType?: string;
  reason?: string;
  error?: string;
  err?: { type?: string; code?: string; message?: string };
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * At most `size` entries, one per kind of error (level, component, message, type): a flood of
 * one error counts up instead of pushing the others out. The least recently seen kind goes first.
 */
export class RecentErrors {
  private readonly entries = new Map<string, RecentError>();

  private readonly shown: (text: string) => string;

  /** `showFieldValues`: STATUS_SHOW_FIELD_VALUES; without it, quoted field values become (hidden). */
  constructor(
    private readonly size = 8,
    showFieldValues = false,
  ) {
    this.shown = showFieldValues ? (text) => text : hideFieldValues;
  }

  /** One JSON log line as the logger wrote it; lines below warning level are skipped unparsed. */
  readonly tap = (line: string): void => {
    // Cheap test first: the logger writes every debug line through here too.
    if (!/"level":(4|5|6)0,/.test(line)) return;
    let parsed: LogLine;
    try {
      parsed = JSON.parse(line) as LogLine;
    } catch {
      return;
    }
    const level = levelNames[parsed.level ?? 0];
    if (level !== undefined) this.add(level, parsed);
  };

  private add(level: RecentError['level'], line: LogLine): void {
    const type = text(line.errorType) || text(line.err?.code) || text(line.err?.type);
    const component = text(line.component);
    // Cut before keying: one kind of error with different values is one entry.
    const message = this.shown(text(line.msg));
    const detail = this.shown(text(line.err?.message) || text(line.error) || text(line.reason)).slice(
      0,
      maxDetailLength,
    );
    const time = text(line.time) || new Date().toISOString();
    const key = JSON.stringify([level, component, message, type]);
    const seen = this.entries.get(key);
    // Deleted and set again: a Map keeps insertion order, so the first key is the least recent.
    this.entries.delete(key);
    this.entries.set(key, {
      level,
      component,
      message,
      type,
      detail,
      count: (seen?.count ?? 0) + 1,
      firstSeen: seen?.firstSeen ?? time,
      lastSeen: time,
    });
    if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The most recently seen first. */
  list(): RecentError[] {
    return [...this.entries.values()].reverse();
  }
}
