import { before, describe, test } from 'node:test';
import type { ArkimeFormat } from '../../stack/arkime.js';
import { corpusReadBackIdentical } from '../helpers/scenarios.js';
import { required, useStack } from '../helpers/stack.js';

const cases: { format: ArkimeFormat; server: 'elasticsearch' | 'opensearch'; incremental?: boolean }[] = [
  { format: 'bulk', server: 'elasticsearch' },
  { format: 'bulk1', server: 'elasticsearch' },
  { format: 'doc', server: 'elasticsearch' },
  // The incremental group protocol (KAFKA_CONSUMER_INCREMENTAL_REBALANCE=true) on the way too.
  { format: 'bulk', server: 'opensearch', incremental: true },
];

describe('the indexer moves the whole real corpus from Kafka into the search cluster', () => {
  let bootstrap: string;
  const urls: Record<string, string> = {};

  before(async () => {
    const stack = await useStack('kafka', 'elasticsearch', 'opensearch');
    bootstrap = required(stack.kafka, 'kafka').bootstrap;
    urls['elasticsearch'] = required(stack.elasticsearch, 'elasticsearch').url;
    urls['opensearch'] = required(stack.opensearch, 'opensearch').url;
  });

  for (const { format, server, incremental = false } of cases) {
    test(`kafkaMsgFormat=${format} into ${server}${incremental ? ', incremental rebalancing' : ''}: every session in its index, with its _id, unchanged`, (t) =>
      corpusReadBackIdentical(t, { bootstrap, url: urls[server] as string }, { format, incremental }));
  }
});
