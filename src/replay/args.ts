// The flags of `arkime-kafka-indexer replay`: what to read, which records to pick, where the ones
// refused again go. Kafka and the search cluster come from the same environment variables as the
// indexer's; these say only what differs for one replay. A bad flag is one line, naming it.
import { parseArgs } from 'node:util';
import { parseDuration, ValueError } from '../config/values.js';

export interface ReplayOptions {
  /** The failure topic to read. */
  topic: string;
  /** Read from the first record at or after this time (ms since the epoch); undefined: from the start. */
  since: number | undefined;
  /** Only records of these error types (the `aki.error.type` header); empty: all. */
  types: string[];
  /** Only records whose index matches one of these patterns (`*` any run of characters); empty: all. */
  indices: string[];
  /** Only records that came from these topics (the `aki.source.topic` header); empty: all. */
  sourceTopics: string[];
  dryRun: boolean;
  /** Where documents refused again go. */
  failedTo: string;
}

export const replayFlags = {
  '--topic <name>': 'the failure topic to read (default KAFKA_PRODUCER_TOPIC)',
  '--since <time>':
    'start at the first record written at or after <time>: an ISO 8601 time (2026-12-06T05:00Z) or a duration ago (90m, 6h)',
  '--type <types>': 'only these error types (aki.error.type), comma-separated',
  '--index <patterns>': 'only documents for these indices, comma-separated, * matching anything',
  '--source-topic <names>': 'only documents that came from these topics, comma-separated',
  '--dry-run': 'count what would be replayed, by error type and index, and index nothing',
  '--failed-to <topic>': 'where documents refused again go (default <topic>.replay-failed)',
};

const list = (text: string | undefined): string[] =>
  (text ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');

/** `--since`: an absolute time, or a duration before `now`. */
export function parseSince(text: string, now: number): number {
  const value = text.trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const time = Date.parse(value);
    if (Number.isNaN(time)) throw new ValueError(`--since ${JSON.stringify(text)} is not a valid time`);
    return time;
  }
  try {
    return now - parseDuration(value);
  } catch {
    throw new ValueError(
      `--since ${JSON.stringify(text)}: expected an ISO 8601 time (2026-12-06T05:00Z) or a duration ago (90m, 6h)`,
    );
  }
}

/** The replay's options, or the one line that says what is wrong. */
export function parseReplayArgs(
  args: string[],
  defaultTopic: string,
  now: number,
): { options: ReplayOptions } | { error: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        topic: { type: 'string' },
        since: { type: 'string' },
        type: { type: 'string' },
        index: { type: 'string' },
        'source-topic': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        'failed-to': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    // node:util's messages name the flag ("Unknown option '--x'", "Option '--topic <value>' argument missing").
    return { error: `replay: ${(error as Error).message.split('\n')[0] ?? ''}` };
  }
  const { values } = parsed;
  const topic = (values.topic ?? defaultTopic).trim();
  if (topic === '') {
    return { error: 'replay: no failure topic to read: set KAFKA_PRODUCER_TOPIC or give --topic' };
  }
  const failedTo = (values['failed-to'] ?? `${topic}.replay-failed`).trim();
  if (failedTo === '') return { error: 'replay: --failed-to names no topic' };
  if (failedTo === topic) {
    return { error: `replay: --failed-to ${failedTo} is the topic being read; name another topic` };
  }
  for (const flag of ['type', 'index', 'source-topic'] as const) {
    if (values[flag] !== undefined && list(values[flag]).length === 0) {
      return { error: `replay: --${flag} names nothing; leave it out to pick every record` };
    }
  }
  let since: number | undefined;
  try {
    since = values.since === undefined ? undefined : parseSince(values.since, now);
  } catch (error) {
    return { error: `replay: ${(error as Error).message}` };
  }
  return {
    options: {
      topic,
      since,
      types: list(values.type),
      indices: list(values.index),
      sourceTopics: list(values['source-topic']),
      dryRun: values['dry-run'],
      failedTo,
    },
  };
}
