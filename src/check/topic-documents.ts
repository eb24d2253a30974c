// What the sessions on the topic ask for: the indices named by the newest message of each
// partition, parsed as the pipeline parses them (Arkime's three formats). `--check` says whether
// the allow-list lets them through (the pipeline's own rule, pipeline/allow-list.ts), and checks Arkime's schema and today's index for
// the prefixes they use (`<prefix>sessions3-*`): a capture configured with a prefix of its own
// writes where the allow-list's default (`arkime_sessions3-*`) would never look.
import { parseMessage } from '../bulk/parse.js';
import type { AllowListConfig } from '../config/allow-list.js';
import type { Config } from '../config/schema.js';
import { failureTopics } from '../config/topics.js';
import type { KafkaProbe } from '../kafka/probe.js';
import { allowCheck, type AllowCheck } from '../pipeline/allow-list.js';
import type { Check } from './run.js';
import { targetIndices } from './search.js';

/** What the items of these messages ask: the indices they name, and why the allow-list would refuse any. */
export function namedIndices(
  values: readonly Buffer[],
  allowed: AllowCheck | undefined = undefined,
): { indices: string[]; refused: string[] } {
  const indices = new Set<string>();
  const refused = new Set<string>();
  for (const value of values) {
    for (const item of parseMessage(value).items) {
      if (item.index !== undefined) indices.add(item.index);
      const why = allowed?.(item);
      if (why !== undefined) refused.add(why);
    }
  }
  return { indices: [...indices].sort(), refused: [...refused].sort() };
}

/** `<prefix>sessions3-*` for each index of Arkime's shape (`<prefix>sessions3-<date>`). */
export function arkimePatterns(indices: readonly string[]): string[] {
  const patterns = indices.flatMap((index) => {
    const prefix = /^(.*sessions3-)[^*]+$/.exec(index)?.[1];
    return prefix === undefined ? [] : [`${prefix}*`];
  });
  return [...new Set(patterns)].sort();
}

/**
 * The session patterns the Arkime checks look at: those the topic's documents use, with the
 * allow-list's own when it names patterns; the allow-list's alone when the documents name none
 * (an empty topic), or when it allows everything and so says nothing of where sessions go.
 */
export function arkimeTargets(allowed: readonly string[], named: readonly string[]): string[] {
  const fromDocuments = arkimePatterns(named);
  const fromSettings = fromDocuments.length > 0 && allowed.includes('*') ? [] : targetIndices([...allowed]);
  return [...new Set([...fromSettings, ...fromDocuments])];
}

/** The check's line; throws with why the allow-list (the pipeline's own rule) would refuse some. */
export function describeNamed(messages: number, named: { indices: string[]; refused: string[] }): string {
  if (named.refused.length > 0) {
    throw new Error(
      `${named.refused.join('; ')}: every such session goes to the failure topic as not_allowed`,
    );
  }
  if (messages === 0) return 'empty: no message to look at yet';
  if (named.indices.length === 0) return `the newest ${messages} message(s) name no index`;
  return `the newest ${messages} message(s) name ${named.indices.join(', ')}`;
}

/** Reads a topic's newest messages; the probe's, bounded by the check's signal. */
export type NewestMessages = (topic: string, signal: AbortSignal) => Promise<Buffer[]>;

/** Topics as a check names them: `topic spi`, or `topics matching <pattern>` and the ones that match now. */
export interface TopicsRead {
  label: string;
  topics: () => Promise<string[]>;
}

/** The topics read, as the checks name them: each topic named, or a pattern's matches now. */
export function topicsRead(
  config: Pick<Config, 'kafkaConsumerTopic' | 'kafkaProducerTopic'>,
  consumer: Pick<KafkaProbe, 'topics'>,
): TopicsRead[] {
  const selection = config.kafkaConsumerTopic;
  if (selection.pattern === undefined)
    return selection.names.map((topic) => ({
      label: `topic ${topic}`,
      topics: () => Promise.resolve([topic]),
    }));
  const excluded = failureTopics(config.kafkaProducerTopic);
  return [
    {
      label: `topics matching ${String(selection)}`,
      topics: async () => selection.select(await consumer.topics(), excluded),
    },
  ];
}

/**
 * A check per entry: the indices the newest sessions name, allowed or not. `found` collects them
 * for the Arkime checks run after these.
 */
export function topicDocumentChecks(
  entries: readonly TopicsRead[],
  newest: NewestMessages,
  config: AllowListConfig,
  needs: string,
  found: Set<string>,
): Check[] {
  const allowed = allowCheck(config);
  return entries.map(({ label, topics }) => ({
    name: `indices named in ${label}`,
    needs,
    run: async (signal) => {
      // In parallel: each topic is read in a group of its own, and a new group's first join may
      // wait for the broker's initial rebalance delay.
      const read = await Promise.all((await topics()).map((topic) => newest(topic, signal)));
      const values = read.flat();
      const named = namedIndices(values, allowed);
      for (const index of named.indices) found.add(index);
      return describeNamed(values.length, named);
    },
  }));
}
