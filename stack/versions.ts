/**
 * The server versions the local stack runs, each overridable from the environment so that the
 * same tests can be pointed at another release (see docs in the README).
 */
export interface StackVersions {
  kafka: string;
  elasticsearch: string;
  opensearch: string;
}

export const defaultVersions: StackVersions = {
  kafka: '4.1.2',
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
