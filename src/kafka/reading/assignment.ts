// What a member of the consumer group owns, and what changed between two views of it. Kept apart
// from the client so that the diff is tested without a broker.

import type { Assignment } from '../../records.js';

/** The assignment as the Kafka client reports it: partitions grouped by topic. */
export type TopicPartitions = readonly { topic: string; partitions: readonly number[] }[];

export interface AssignmentChange {
  /** Partitions owned now that were not before. */
  added: Assignment[];
  /** Partitions owned before that are not now: another member resumes them from the last commit. */
  revoked: Assignment[];
}

/** Sorted by topic then partition, so that log lines and comparisons are stable. */
export function flatten(assignment: TopicPartitions | null | undefined): Assignment[] {
  return (assignment ?? [])
    .flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })))
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

/** `flatten` undone: the entries of each topic, in the order given (as the client's requests take them). */
export function byTopic<T extends { topic: string }>(entries: readonly T[]): Map<string, T[]> {
  const grouped = new Map<string, T[]>();
  for (const entry of entries) {
    const list = grouped.get(entry.topic);
    if (list === undefined) grouped.set(entry.topic, [entry]);
    else list.push(entry);
  }
  return grouped;
}

/** Partitions grouped by topic, as the client's offset requests take them. */
export function topicPartitions(
  partitions: readonly Assignment[],
): { topic: string; partitions: number[] }[] {
  return [...byTopic(partitions)].map(([topic, list]) => ({
    topic,
    partitions: list.map((a) => a.partition),
  }));
}

export function assignmentChange(
  before: readonly Assignment[],
  after: readonly Assignment[],
): AssignmentChange {
  const key = (a: Assignment): string => `${a.topic}\u0000${a.partition}`;
  const had = new Set(before.map(key));
  const has = new Set(after.map(key));
  return {
    added: after.filter((a) => !had.has(key(a))),
    revoked: before.filter((a) => !has.has(key(a))),
  };
}
