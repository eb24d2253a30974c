/**
 * The server versions the local stack runs, each overridable from the environment so that the
 * same tests can be pointed at another release (see docs in the README).
 */
export interface StackVersions {
  kafka: string;
  elasticsearch: string;
  opensearch: string;
}

/**
 * The Kafka releases CI runs the tests on: the newest on Maven Central, on which `npm test` runs
 * every test, and the oldest line the indexer supports (3.9, the last with ZooKeeper, which
 * many sites still run), its newest patch, on which `npm run test:kafka-versions` runs the files
 * that exercise Kafka itself. The README's "Kafka versions" table says the same.
 */
export const testedKafkaVersions = { oldest: '3.9.2', newest: '4.4.0' } as const;

export const defaultVersions: StackVersions = {
  kafka: testedKafkaVersions.newest,
  elasticsearch: '8.19.21',
  opensearch: '2.19.6',
};

export function versionsFromEnv(env: NodeJS.ProcessEnv): StackVersions {
  return {
    kafka: env['AKI_STACK_KAFKA_VERSION'] ?? defaultVersions.kafka,
    elasticsearch: env['AKI_STACK_ELASTICSEARCH_VERSION'] ?? defaultVersions.elasticsearch,
    opensearch: env['AKI_STACK_OPENSEARCH_VERSION'] ?? defaultVersions.opensearch,
  };
}

/**
 * The tested Kafka releases that `npm test` does not already run on (it runs on `defaultKafka`),
 * oldest first, each once.
 */
export function otherTestedKafkaVersions(defaultKafka: string = defaultVersions.kafka): string[] {
  const versions = [testedKafkaVersions.oldest, testedKafkaVersions.newest];
  return versions.filter((v, i) => v !== defaultKafka && versions.indexOf(v) === i);
}
