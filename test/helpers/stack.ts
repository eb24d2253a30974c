import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaBroker, type KafkaBrokerOptions } from '../../stack/kafka-broker.js';
import { KafkaCluster } from '../../stack/kafka-cluster.js';
import { endpointsFromEnv, LocalStack, type Component, type StackEndpoints } from '../../stack/stack.js';
import { versionsFromEnv } from '../../stack/versions.js';

/**
 * The stack for an integration test file: the one `npm test` started for the whole run (AKI_STACK),
 * or, when the file is run alone, a stack of its own that ends with the test process.
 */
export async function useStack(...components: Component[]): Promise<StackEndpoints> {
  const shared = endpointsFromEnv();
  if (shared !== undefined) {
    const missing = components.filter((c) => shared[c] === undefined);
    if (missing.length === 0) return shared;
  }
  // Not stopped by an `after` hook: called from a `before` hook, node:test would run that at once.
  // The servers do not keep the test process alive, and are killed when it exits.
  const stack = await LocalStack.start({ components });
  return stack.endpoints;
}

export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the stack has no ${what}`);
  return value;
}

export interface KafkaAndSearch {
  bootstrap: string;
  url: string;
}

/** The Kafka broker and one search server of the stack: what most indexer tests need. */
export async function kafkaAnd(server: 'elasticsearch' | 'opensearch'): Promise<KafkaAndSearch> {
  const stack = await useStack('kafka', server);
  return {
    bootstrap: required(stack.kafka, 'kafka').bootstrap,
    url: required(stack[server], server).url,
  };
}

/** A folder of its own for a server a test runs beside the stack's. */
const freshDir = (name: string): string => mkdtempSync(join(tmpdir(), `aki-${name}-`));

/**
 * A Kafka broker of the test's own, beside the stack's (to restart it, or with other settings),
 * at the stack's version; the caller starts and stops it.
 */
export function ownKafkaBroker(
  name: string,
  options: Omit<KafkaBrokerOptions, 'version' | 'dir'> = {},
): Promise<KafkaBroker> {
  return KafkaBroker.create({ version: versionsFromEnv(process.env).kafka, dir: freshDir(name), ...options });
}

/**
 * A three-node Kafka cluster of the test's own at the stack's version, each node with `properties`
 * beside the defaults; the caller starts and stops it.
 */
export function ownKafkaCluster(name: string, properties?: Record<string, string>): Promise<KafkaCluster> {
  return KafkaCluster.create({
    version: versionsFromEnv(process.env).kafka,
    dir: freshDir(name),
    ...(properties !== undefined && { properties }),
  });
}

/** Where an OpenSearch node of the test's own goes: the stack's version, a folder of its own. */
export function ownOpenSearch(name: string): { distribution: 'opensearch'; version: string; dir: string } {
  return {
    distribution: 'opensearch',
    version: versionsFromEnv(process.env).opensearch,
    dir: freshDir(name),
  };
}
