// The suite's baseline: nothing changes while the corpus is indexed. It shows the
// harness accounts and reads `__consumer_offsets` right, so that the other cases' failures are
// the reader's, not the harness's.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { readSessions } from '../../stack/arkime.js';
import { indexerRun, stopCleanly } from '../helpers/indexer.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';
import { bulk1, conclude, waitAccounted, type Destinations } from './harness.js';

describe('conformance: baseline', () => {
  let servers: KafkaAndSearch;
  before(async () => (servers = await kafkaAnd('opensearch')));

  test(
    'the corpus on two partitions, nothing else happening: every session indexed once, commits only forward',
    { timeout: 90_000 },
    async (t) => {
      const run = await indexerRun(t, { ...servers, name: 'conf_baseline', partitions: 2 });
      const to: Destinations = { ...servers, pattern: `${run.prefix}-*`, failures: run.failures };
      const sessions = readSessions();
      await run.produce(bulk1(sessions, run.prefix));
      const indexer = await run.start({ LOG_LEVEL: 'info' });
      assert.ok(await waitAccounted(indexer, to, sessions.length, 60_000), 'all indexed in 60 s');
      await run.waitAllCommitted(indexer, 30_000);
      await stopCleanly(indexer);
      const { accounting, history } = await conclude(
        'baseline',
        to,
        run.group,
        sessions.map((s) => s.id),
      );
      assert.equal(accounting.indexed, sessions.length);
      // The reader found the commits the group's own view shows as the latest.
      const committed = await run.committed();
      assert.deepEqual(
        [0, 1].map((p) => history.get(`${run.topic}:${p}`)?.at(-1)),
        committed,
      );
    },
  );
});
