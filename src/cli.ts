#!/usr/bin/env node
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const [arg] = process.argv.slice(2);
if (arg === '--version') {
  console.log(version);
} else {
  console.error(
    `arkime-kafka-indexer ${version}: the indexing pipeline is not built yet (see the open issues).`,
  );
  process.exit(arg === '--help' ? 0 : 1);
}
