import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kafkaClusterId, serverProperties, type KafkaListener } from '../../stack/kafka-broker.js';
import { leaderFirst } from '../../stack/kafka-topics.js';

test('a cluster id never starts with "-" (a command line would read it as an option), whatever the random bytes', () => {
  for (let first = 0; first < 256; first += 1) {
    const id = kafkaClusterId((size) => Buffer.alloc(size, first));
    assert.match(id, /^[A-Za-z][A-Za-z0-9_-]{21}$/, `first byte ${first}: ${id}`);
    assert.equal(Buffer.from(id, 'base64url').length, 16);
  }
});

const plaintext: KafkaListener[] = [{ name: 'PLAINTEXT', protocol: 'PLAINTEXT' }];

function parsed(text: string): Map<string, string> {
  return new Map(text.split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

test('a node of a three-node cluster: its own id and ports, every voter, three replicas of which two in sync', () => {
  const voters = new Map([
    [1, 20001],
    [2, 20002],
    [3, 20003],
  ]);
  const properties = parsed(
    serverProperties({
      member: { nodeId: 2, voters, clusterId: 'abc' },
      listeners: plaintext,
      ports: new Map([['PLAINTEXT', 19092]]),
      dataDir: '/data/node-2',
      extra: {},
    }),
  );
  assert.equal(properties.get('node.id'), '2');
  assert.equal(
    properties.get('controller.quorum.voters'),
    '1@127.0.0.1:20001,2@127.0.0.1:20002,3@127.0.0.1:20003',
  );
  assert.equal(properties.get('listeners'), 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:20002');
  assert.equal(properties.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:19092');
  assert.equal(properties.get('log.dirs'), '/data/node-2');
  for (const key of [
    'default.replication.factor',
    'offsets.topic.replication.factor',
    'transaction.state.log.replication.factor',
    'share.coordinator.state.topic.replication.factor',
  ])
    assert.equal(properties.get(key), '3', key);
  for (const key of [
    'min.insync.replicas',
    'transaction.state.log.min.isr',
    'share.coordinator.state.topic.min.isr',
  ])
    assert.equal(properties.get(key), '2', key);
});

test('a lone broker replicates nothing and leaves min.insync.replicas at its default; extra properties win', () => {
  const properties = parsed(
    serverProperties({
      member: { nodeId: 1, voters: new Map([[1, 20001]]), clusterId: 'abc' },
      listeners: plaintext,
      ports: new Map([['PLAINTEXT', 19092]]),
      dataDir: '/data',
      extra: { 'num.partitions': '4' },
    }),
  );
  assert.equal(properties.get('offsets.topic.replication.factor'), '1');
  assert.equal(properties.get('controller.quorum.voters'), '1@127.0.0.1:20001');
  assert.equal(properties.has('default.replication.factor'), false);
  assert.equal(properties.has('min.insync.replicas'), false);
  assert.equal(properties.get('num.partitions'), '4');
});

test('a node that is not among the voters is refused', () => {
  assert.throws(
    () =>
      serverProperties({
        member: { nodeId: 4, voters: new Map([[1, 20001]]), clusterId: 'abc' },
        listeners: plaintext,
        ports: new Map(),
        dataDir: '/data',
        extra: {},
      }),
    /node 4 is not among the voters/,
  );
});

test('preferred leaders: each partition lists its leader first, then the other nodes in order', () => {
  assert.deepEqual(leaderFirst([2, 2, 3], 3), [
    { partition: 0, brokers: [2, 3, 1] },
    { partition: 1, brokers: [2, 3, 1] },
    { partition: 2, brokers: [3, 1, 2] },
  ]);
});
