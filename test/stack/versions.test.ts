import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  defaultVersions,
  otherTestedKafkaVersions,
  testedKafkaVersions,
  versionsFromEnv,
} from '../../stack/versions.js';

test('npm test runs on the newest tested Kafka; test:kafka-versions on the oldest', () => {
  assert.equal(defaultVersions.kafka, testedKafkaVersions.newest);
  assert.deepEqual(otherTestedKafkaVersions(), [testedKafkaVersions.oldest]);
});

test('with another default Kafka, test:kafka-versions runs both tested ones, oldest first', () => {
  assert.deepEqual(otherTestedKafkaVersions('4.1.2'), [
    testedKafkaVersions.oldest,
    testedKafkaVersions.newest,
  ]);
  assert.deepEqual(otherTestedKafkaVersions(testedKafkaVersions.oldest), [testedKafkaVersions.newest]);
});

test('the environment chooses any version; unset ones stay the defaults', () => {
  assert.deepEqual(versionsFromEnv({ AKI_STACK_KAFKA_VERSION: '3.9.2' }), {
    ...defaultVersions,
    kafka: '3.9.2',
  });
  assert.deepEqual(versionsFromEnv({}), defaultVersions);
});
