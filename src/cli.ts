#!/usr/bin/env node
// The command line: --version, --help, --print-config, --check, `replay` (the failure topic back
// into the cluster), or (no option) run the indexer configured from the environment.
import { readFileSync } from 'node:fs';
import { allowListErrors } from './config/allow-list.js';
import { loadConfig } from './config/load.js';
import { printableConfig } from './config/print.js';
import { descriptionOf, groupTitles, schema, type Config, type Setting } from './config/schema.js';
import { timeoutErrors } from './config/timeouts.js';
import { validateKafkaSecurity } from './kafka/connection.js';
import { parseReplayArgs, replayFlags } from './replay/args.js';
import { validateSearchConnection } from './search/connection.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const options = {
  '--help': 'this text (also -h)',
  '--version': 'the version',
  '--print-config': 'the effective configuration as NAME=value lines, secrets and passwords as ***',
  '--check':
    'validate the configuration, connect to Kafka and the search cluster, one ✓/✗ line per check; exit 0 only if all pass',
};

function help(): string {
  const lines = [
    `arkime-kafka-indexer ${version}: indexes Arkime sessions from Kafka into Elasticsearch/OpenSearch.`,
    '',
    'Usage: arkime-kafka-indexer [option]   (no option: run the indexer)',
    ...Object.entries(options).map(([option, text]) => `  ${option.padEnd(16)}${text}`),
    '',
    'Usage: arkime-kafka-indexer replay [flag...]',
    '  Indexes the documents of the failure topic again, from its start up to its end when the replay',
    '  starts, through the same bulk path; those refused again go to another topic. Exit 0 only if',
    '  every document picked was indexed.',
    ...Object.entries(replayFlags).map(([flag, text]) => `  ${flag.padEnd(24)}${text}`),
    '',
    'HTTP on PORT: METRICS_PATH (Prometheus), /healthz (alive), /readyz (in the group, search cluster reachable).',
    '',
    'Configured by environment variables (required ones have no default):',
  ];
  for (const [group, title] of Object.entries(groupTitles)) {
    lines.push('', `${title}:`);
    for (const setting of Object.values(schema) as Setting<unknown>[]) {
      if (setting.group !== group) continue;
      const fallback =
        setting.default === undefined ? 'required' : `default ${JSON.stringify(setting.default)}`;
      const secret = setting.secret === true ? ', secret' : '';
      lines.push(
        `  ${setting.env} (${setting.type.name}, ${fallback}${secret})`,
        `      ${descriptionOf(setting)}`,
      );
    }
  }
  return lines.join('\n');
}

/** The configuration, or one line per problem. */
async function configuration(): Promise<{ config: Config } | { errors: string[] }> {
  const loaded = loadConfig(process.env);
  // Settings that only work together, and the certificate and key files they name.
  const errors = loaded.ok
    ? [
        ...validateKafkaSecurity(loaded.config),
        ...validateSearchConnection(loaded.config),
        ...allowListErrors(loaded.config),
        ...timeoutErrors(loaded.config),
      ]
    : loaded.errors;
  if (!loaded.ok || errors.length > 0) return { errors };
  return withSigningRegion(loaded.config);
}

/** With ELASTIC_AWS_SIGV4, the region found at start (the setting, else AWS's sources), or why none was. */
async function withSigningRegion(config: Config): Promise<{ config: Config } | { errors: string[] }> {
  if (!config.elasticAwsSigv4) return { config };
  const { signingRegion } = await import('./search/aws/region.js');
  const found = await signingRegion(config.elasticAwsSigv4Region, process.env);
  return 'error' in found
    ? { errors: [found.error] }
    : { config: { ...config, elasticAwsSigv4Region: found.region } };
}

/** `replay [flag...]`: bad settings or flags are one line each and exit code 2, as for the indexer. */
async function replay(args: string[]): Promise<number> {
  const loaded = await configuration();
  if ('errors' in loaded) {
    loaded.errors.forEach((line) => console.error(`arkime-kafka-indexer: ${line}`));
    return 2;
  }
  const parsed = parseReplayArgs(args, loaded.config.kafkaProducerTopic, Date.now());
  if ('error' in parsed) {
    console.error(`arkime-kafka-indexer ${parsed.error}; see --help`);
    return 2;
  }
  const { runReplay } = await import('./replay/run.js');
  return runReplay(loaded.config, parsed.options, {
    print: (line) => console.log(line),
    progress: (text) => process.stderr.write(text),
    terminal: process.stderr.isTTY,
  });
}

async function main(args: string[]): Promise<number> {
  if (args[0] === 'replay') return replay(args.slice(1));
  const unknown = args.filter((arg) => !Object.hasOwn(options, arg) && arg !== '-h');
  if (unknown.length > 0 || args.length > 1) {
    const problem = unknown.length > 0 ? `unknown option ${unknown.join(' ')}` : 'one option at a time';
    console.error(`arkime-kafka-indexer: ${problem}; see --help`);
    return 2;
  }
  const [option] = args;
  if (option === '--version') {
    console.log(version);
    return 0;
  }
  if (option === '--help' || option === '-h') {
    console.log(help());
    return 0;
  }
  const loaded = await configuration();
  if ('errors' in loaded) {
    // A bad setting stops everything with exit code 2; --check says so in its own format.
    const print =
      option === '--check'
        ? (line: string) => console.log(`✗ configuration: ${line}`)
        : (line: string) => console.error(`arkime-kafka-indexer: ${line}`);
    loaded.errors.forEach(print);
    return 2;
  }
  if (option === '--check') {
    console.log('✓ configuration: valid');
    const { checkCommand } = await import('./check/index.js');
    return checkCommand(loaded.config, (line) => console.log(line));
  }
  if (option === '--print-config') {
    console.log(printableConfig(loaded.config));
    return 0;
  }
  // Imported here, so that the options above answer without loading the Kafka and HTTP clients.
  const { runIndexer } = await import('./main.js');
  return runIndexer(loaded.config);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`arkime-kafka-indexer: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
