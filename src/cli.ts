#!/usr/bin/env node
// The command line: --version, --help, or run the indexer configured from the environment.
import { readFileSync } from 'node:fs';
import { loadConfig } from './config/load.js';
import { groupTitles, schema, type Setting } from './config/schema.js';
import { validateKafkaSecurity } from './kafka/connection.js';
import { runIndexer } from './main.js';
import { allowListErrors } from './pipeline/allow-list.js';
import { validateSearchConnection } from './search/connection.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function help(): string {
  const lines = [
    `arkime-kafka-indexer ${version}: indexes Arkime sessions from Kafka into Elasticsearch/OpenSearch.`,
    'Configured by environment variables (required ones have no default):',
  ];
  for (const [group, title] of Object.entries(groupTitles)) {
    lines.push('', `${title}:`);
    for (const setting of Object.values(schema) as Setting<unknown>[]) {
      if (setting.group !== group) continue;
      const fallback =
        setting.default === undefined ? 'required' : `default ${JSON.stringify(setting.default)}`;
      lines.push(`  ${setting.env} (${setting.type.name}, ${fallback})`, `      ${setting.description}`);
    }
  }
  return lines.join('\n');
}

async function main(args: string[]): Promise<number> {
  if (args.includes('--version')) {
    console.log(version);
    return 0;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(help());
    return 0;
  }
  const loaded = loadConfig(process.env);
  // Settings that only work together, and the certificate and key files they name.
  const errors = loaded.ok
    ? [
        ...validateKafkaSecurity(loaded.config),
        ...validateSearchConnection(loaded.config),
        ...allowListErrors(loaded.config),
      ]
    : loaded.errors;
  if (!loaded.ok || errors.length > 0) {
    for (const error of errors) console.error(`arkime-kafka-indexer: ${error}`);
    return 2;
  }
  return runIndexer(loaded.config);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`arkime-kafka-indexer: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
