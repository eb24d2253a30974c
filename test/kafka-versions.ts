// `npm run test:kafka-versions`: the integration files that exercise Kafka itself, on each tested
// Kafka release that `npm test` does not run on (stack/versions.ts: today the oldest, 3.9), each
// against a stack of only Kafka and OpenSearch, the one search server these files use.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { otherTestedKafkaVersions } from '../stack/versions.js';

/**
 * Together they cover the consumer, the producer and security: the client producing and a group
 * consuming byte for byte; the indexer consuming and producing refused documents to the failure
 * topic over SSL and SASL_SSL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), and stopping at once on
 * refused TLS or credentials; committed offsets surviving an indexer SIGKILL, a broker restart
 * and a start-up before the broker. (indexer-failures, the same failure producer in plaintext,
 * would add Elasticsearch to the stack for nothing Kafka-specific.)
 */
const kafkaFiles = ['integration/kafka', 'integration/kafka-security', 'integration/crash'];

const script = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

function runOn(version: string): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      script('../stack/cli.js'),
      'run',
      'kafka,opensearch',
      '--',
      process.execPath,
      script('run.js'),
      ...kafkaFiles,
    ],
    { stdio: 'inherit', env: { ...process.env, AKI_STACK_KAFKA_VERSION: version } },
  );
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

async function main(): Promise<number> {
  const results: string[] = [];
  let failed = false;
  for (const version of otherTestedKafkaVersions()) {
    const started = performance.now();
    console.error(`[kafka-versions] Kafka ${version}: ${kafkaFiles.join(', ')}`);
    const code = await runOn(version);
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    results.push(`Kafka ${version}: ${code === 0 ? 'passed' : `failed (exit ${code})`} in ${seconds} s`);
    failed ||= code !== 0;
  }
  for (const line of results) console.error(`[kafka-versions] ${line}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
