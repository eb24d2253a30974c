import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { schema } from '../../src/config/schema.js';
import { defaultVersions } from '../../stack/versions.js';
import { composeList, composeMap, repoFile } from './files.js';

const compose = repoFile('docker-compose.yml');
const services = composeMap(compose, ['services']);
const indexerEnv = composeMap(compose, ['services', 'indexer', 'environment']);
const kafkaEnv = composeMap(compose, ['services', 'kafka', 'environment']);

describe('docker-compose.yml', () => {
  test('sets only environment variables the indexer reads', () => {
    const known = new Set(Object.values(schema).map((setting) => setting.env));
    assert.ok(indexerEnv.size > 0, 'the indexer service has an environment');
    for (const name of indexerEnv.keys()) assert.ok(known.has(name), `${name} is in src/config/schema.ts`);
  });

  test('gives the indexer a configuration it accepts', () => {
    const loaded = loadConfig(Object.fromEntries(indexerEnv));
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.join('\n'));
  });

  test('points the indexer at the services of the file, on the listeners they advertise', () => {
    const advertised = (kafkaEnv.get('KAFKA_ADVERTISED_LISTENERS') ?? '')
      .split(',')
      .map((l) => l.split('//')[1]);
    for (const name of ['KAFKA_CONSUMER_BROKERS', 'KAFKA_PRODUCER_BROKERS']) {
      for (const broker of (indexerEnv.get(name) ?? '').split(',')) {
        assert.ok(advertised.includes(broker), `${name}=${broker} is a listener kafka advertises`);
      }
    }
    assert.ok(services.has(indexerEnv.get('ELASTIC_SERVICE') ?? ''), 'ELASTIC_SERVICE is a service');
    const topics = (
      composeMap(compose, ['services', 'kafka-topics', 'environment']).get('TOPICS') ?? ''
    ).split(' ');
    for (const name of ['KAFKA_CONSUMER_TOPIC', 'KAFKA_PRODUCER_TOPIC']) {
      assert.ok(topics.includes(indexerEnv.get(name) ?? ''), `${name} is created by kafka-topics`);
    }
  });

  test('publishes the port the indexer serves metrics and health on, and stops it gracefully', () => {
    const ports = composeList(compose, ['services', 'indexer', 'ports']);
    assert.ok(
      ports.some((p) => p.endsWith(`:${indexerEnv.get('PORT')}`)),
      ports.join(', '),
    );
    const grace = composeMap(compose, ['services', 'indexer']).get('stop_grace_period') ?? '';
    assert.ok(Number(/^(\d+)s$/.exec(grace)?.[1]) > 25, `stop_grace_period ${grace} covers the 25 s drain`);
  });

  test('runs the server versions the test suite runs against', () => {
    assert.equal(
      composeMap(compose, ['services', 'kafka']).get('image'),
      `apache/kafka:${defaultVersions.kafka}`,
    );
    assert.equal(
      composeMap(compose, ['services', 'opensearch']).get('image'),
      `opensearchproject/opensearch:${defaultVersions.opensearch}`,
    );
  });

  test('mounts files that exist in the repository', () => {
    const mounts = [...services.keys()]
      .flatMap((service) => composeList(compose, ['services', service, 'volumes']))
      .filter((volume) => volume.startsWith('./'))
      .map((volume) => volume.split(':')[0]!);
    assert.ok(mounts.includes('./test/fixtures/arkime/sessions3-template.json'), mounts.join(', '));
    for (const path of mounts) {
      assert.ok(existsSync(fileURLToPath(new URL(`../../../${path}`, import.meta.url))), `${path} exists`);
    }
  });
});
