// KAFKA_CONSUMER_TOPIC: one topic (as the Go indexer reads it), a comma list of topics, or a
// regular expression in slashes whose matching topics are consumed, those created later included.
// Sites with several capture clusters often give each its own topic (one topic per source); this
// lets one indexer read them all.
import { ValueError } from './values.js';

/** Kafka's own limits on a topic name (kafka.common.internals.Topic): these characters, 1 to 249 of them. */
const topicName = /^[a-zA-Z0-9._-]{1,249}$/;

/** The topics to consume: named ones, or every topic whose name a pattern matches. */
export class TopicSelection {
  private constructor(
    /** The topics named, in the order given; empty for a pattern. */
    readonly names: readonly string[],
    /** Undefined for named topics. */
    readonly pattern: RegExp | undefined,
  ) {}

  static named(names: readonly string[]): TopicSelection {
    return new TopicSelection([...new Set(names)], undefined);
  }

  static matching(pattern: RegExp): TopicSelection {
    return new TopicSelection([], pattern);
  }

  /**
   * The topics to consume among those that exist: the named ones as they are (a missing one is
   * the client's to refuse, as with one topic), or every existing topic the pattern matches,
   * sorted, except `excluded` (the failure topic: reading it back would index each refusal again).
   */
  select(existing: readonly string[], excluded: ReadonlySet<string>): string[] {
    const pattern = this.pattern;
    if (pattern === undefined) return [...this.names];
    // Nor any `.replay-failed` topic: replay of a replay's refusals writes to
    // `<topic>.replay-failed.replay-failed`, and every one of them holds refusals, not sessions.
    return existing
      .filter((topic) => !excluded.has(topic) && !topic.endsWith(replayFailedSuffix) && pattern.test(topic))
      .sort();
  }

  /** As written in KAFKA_CONSUMER_TOPIC, so that --print-config can be pasted back. */
  toString(): string {
    return this.pattern === undefined ? this.names.join(',') : `/${this.pattern.source}/`;
  }

  /** Log lines show the setting as written. */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * Topics a pattern never selects: the failure topic, and where `replay` puts what is refused
 * again (`<failure topic>.replay-failed` unless told otherwise). Read back, their records would be
 * indexed, and refused, once more.
 */
export function failureTopics(failureTopic: string): ReadonlySet<string> {
  return new Set(failureTopic === '' ? [] : [failureTopic, `${failureTopic}${replayFailedSuffix}`]);
}

/** What `replay` appends to the name of the topic it reads for where refusals go by default. */
export const replayFailedSuffix = '.replay-failed';

/**
 * `/…/` is a regular expression (JavaScript syntax, unanchored: `^` and `$` make it match whole
 * names); anything else a comma list of topic names.
 */
export function parseTopicSelection(text: string): TopicSelection {
  const value = text.trim();
  if (value.length >= 2 && value.startsWith('/') && value.endsWith('/')) {
    const source = value.slice(1, -1);
    if (source.trim() === '')
      throw new ValueError('a regular expression between the slashes, such as /^arkime-.*$/');
    try {
      // The `u` flag: stricter syntax, so that a typo is an error here rather than a literal match.
      return TopicSelection.matching(new RegExp(source, 'u'));
    } catch (error) {
      const reason =
        error instanceof Error ? error.message.replace(/^Invalid regular expression: \/.*\/\w*: /, '') : '';
      throw new ValueError(`a valid regular expression in slashes (${reason})`);
    }
  }
  const names = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (names.length === 0) throw new ValueError('a topic name, a comma list of them, or /regular expression/');
  const bad = names.find((name) => !topicName.test(name));
  if (bad !== undefined) {
    throw new ValueError(
      `topic names of letters, digits, '.', '_' and '-' (not ${JSON.stringify(bad)}); for a pattern, a regular expression in slashes such as /^arkime-.*$/`,
    );
  }
  return TopicSelection.named(names);
}
