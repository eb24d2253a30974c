import { before, describe, test } from 'node:test';
import { mappingBreakersToFailureTopic } from '../helpers/scenarios.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';

for (const server of ['elasticsearch', 'opensearch'] as const) {
  describe(`documents that break the sessions3 mapping (${server})`, () => {
    let servers: KafkaAndSearch;
    before(async () => (servers = await kafkaAnd(server)));

    test('go to the failure topic exactly as sent, with the reason, while their neighbours are indexed', async (t) => {
      await mappingBreakersToFailureTopic(t, servers);
    });
  });
}
