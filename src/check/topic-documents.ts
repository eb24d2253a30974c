// What the sessions on the topic ask for: the indices named by the newest message of each
// partition, parsed as the pipeline parses them (Arkime's three formats). `--check` says whether
// ELASTIC_ALLOWED_INDICES lets them through, and checks Arkime's schema and today's index for
// the prefixes they use (`<prefix>sessions3-*`): a capture configured with a prefix of its own
// writes where the allow-list's default (`arkime_sessions3-*`) would never look.
import { parseMessage } from '../bulk/parse.js';
import type { Check } from './run.js';
import { matchesPattern, targetIndices } from './search.js';

/** The indices the items of these messages are written to, sorted, each once. */
export function namedIndices(values: readonly Buffer[]): string[] {
  const indices = new Set<string>();
  for (const value of values) {
    for (const item of parseMessage(value).items) if (item.index !== undefined) indices.add(item.index);
  }
  return [...indices].sort();
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

/** The check's line; throws naming the indices ELASTIC_ALLOWED_INDICES would refuse. */
export function describeNamed(
  messages: number,
  indices: readonly string[],
  allowed: readonly string[],
): string {
  if (messages === 0) return 'empty: no message to look at yet';
  if (indices.length === 0) return `the newest ${messages} message(s) name no index`;
  const refused = indices.filter((index) => !allowed.some((pattern) => matchesPattern(pattern, index)));
  if (refused.length > 0) {
    throw new Error(
      `${refused.join(', ')} not in ELASTIC_ALLOWED_INDICES (${allowed.join(',')}): every session to ${refused.length === 1 ? 'it' : 'them'} goes to the failure topic as not_allowed`,
    );
  }
  return `the newest ${messages} message(s) name ${indices.join(', ')}`;
}

/** Reads a topic's newest messages; the probe's, bounded by the check's signal. */
export type NewestMessages = (topic: string, signal: AbortSignal) => Promise<Buffer[]>;

/** Topics as a check names them: `topic spi`, or `topics matching <pattern>` and the ones that match now. */
export interface TopicsRead {
  label: string;
  topics: () => Promise<string[]>;
}

/**
 * A check per entry: the indices the newest sessions name, allowed or not. `found` collects them
 * for the Arkime checks run after these.
 */
export function topicDocumentChecks(
  entries: readonly TopicsRead[],
  newest: NewestMessages,
  allowed: readonly string[],
  needs: string,
  found: Set<string>,
): Check[] {
  return entries.map(({ label, topics }) => ({
    name: `indices named in ${label}`,
    needs,
    run: async (signal) => {
      const values: Buffer[] = [];
      for (const topic of await topics()) values.push(...(await newest(topic, signal)));
      const indices = namedIndices(values);
      for (const index of indices) found.add(index);
      return describeNamed(values.length, indices, allowed);
    },
  }));
}
