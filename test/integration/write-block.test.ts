// A write block, as the disk flood-stage watermark sets it (index.blocks.read_only_allow_delete),
// is the cluster's state, not the documents' fault: the indexer waits, says so, and resumes.
import { before, describe, test } from 'node:test';
import { writeBlockWaitedOut } from '../helpers/scenarios.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';

for (const server of ['elasticsearch', 'opensearch'] as const) {
  describe(`a write-blocked index (${server})`, () => {
    let servers: KafkaAndSearch;
    before(async () => (servers = await kafkaAnd(server)));

    test('is waited out, reported, and indexed into once the block lifts; nothing on the failure topic', (t) =>
      writeBlockWaitedOut(t, servers, 'index.blocks.read_only_allow_delete'));
  });
}
