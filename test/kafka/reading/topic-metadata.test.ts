// What one Metadata answer says: each topic's id and leaders, and the topics that do not exist,
// without one missing topic failing the others (the client's metadata() fails as a whole).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clusterView } from '../../../src/kafka/reading/topic-metadata.js';

const partition = (partitionIndex: number, leaderId: number, leaderEpoch = 0) => ({
  errorCode: 0,
  partitionIndex,
  leaderId,
  leaderEpoch,
  replicaNodes: [leaderId],
  isrNodes: [leaderId],
  offlineReplicas: [],
});

const response = {
  throttleTimeMs: 0,
  brokers: [
    { nodeId: 1, host: 'k1', port: 9092, rack: null },
    { nodeId: 2, host: 'k2', port: 9093, rack: null },
  ],
  clusterId: 'c',
  controllerId: 1,
  topics: [
    {
      errorCode: 0,
      name: 'a',
      topicId: 'id-a',
      isInternal: false,
      partitions: [partition(1, 2, 7), partition(0, 1, 3)],
      topicAuthorizedOperations: 0,
    },
    {
      errorCode: 3,
      name: 'b',
      topicId: '00000000-0000-0000-0000-000000000000',
      isInternal: false,
      partitions: [],
      topicAuthorizedOperations: 0,
    },
    {
      errorCode: 5, // LEADER_NOT_AVAILABLE: being created; asked again later
      name: 'c',
      topicId: 'id-c',
      isInternal: false,
      partitions: [],
      topicAuthorizedOperations: 0,
    },
  ],
};

describe('clusterView', () => {
  test('topics with their ids and leaders by partition, brokers by id, and the missing named', () => {
    const view = clusterView(response, ['a', 'b', 'c']);
    assert.deepEqual(view.brokers.get(2), { host: 'k2', port: 9093 });
    assert.deepEqual(view.topics.get('a'), {
      id: 'id-a',
      partitions: [
        { leader: 1, leaderEpoch: 3 },
        { leader: 2, leaderEpoch: 7 },
      ],
    });
    assert.deepEqual(view.missing, ['b']);
    assert.equal(view.topics.has('c'), false, 'neither read nor called missing');
  });
});
