// Cases that need a broker of the test's own: its log files on disk to damage, and a
// client quota that would slow every other test on the shared broker.
import assert from 'node:assert/strict';
import { openSync, writeSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Admin, ClientQuotaEntityTypes, ClientQuotaKeys } from '@platformatic/kafka';
import { readSessions, type ArkimeSession } from '../../stack/arkime.js';
import type { KafkaBroker } from '../../stack/kafka-broker.js';
import { endOffsets, produce, produceRecords } from '../../stack/kafka-topics.js';
import { firstValue, segmentBatches } from '../../stack/segment-file.js';
import { indexerRun, stopCleanly } from '../helpers/indexer.js';
import { ownKafkaBroker, required, useStack } from '../helpers/stack.js';
import { bulk1, conclude, linesSaying, renamed, waitAccounted, type Destinations } from './harness.js';

const ids = (sessions: ArkimeSession[]): string[] => sessions.map((s) => s.id);
const indexerClientId = 'arkime-kafka-indexer';

/** Sets (or, with undefined, removes) the consumer byte rate of the indexer's client id. */
async function consumerQuota(bootstrap: string, bytesPerSecond: number | undefined): Promise<void> {
  const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: [bootstrap] });
  try {
    await admin.alterClientQuotas({
      entries: [
        {
          entities: [{ entityType: ClientQuotaEntityTypes.CLIENT_ID, entityName: indexerClientId }],
          ops: [
            bytesPerSecond === undefined
              ? { key: ClientQuotaKeys.CONSUMER_BYTE_RATE, remove: true }
              : { key: ClientQuotaKeys.CONSUMER_BYTE_RATE, value: bytesPerSecond, remove: false },
          ],
        },
      ],
    });
  } finally {
    await admin.close();
  }
}

describe('conformance: on a broker of its own', () => {
  let url: string;
  let broker: KafkaBroker;
  const corpus = readSessions();

  before(async () => {
    url = required((await useStack('opensearch')).opensearch, 'opensearch').url;
    broker = await ownKafkaBroker('conformance-broker');
    await broker.start();
  });
  after(() => broker.stop());

  test(
    'f: a corrupt record batch on disk: its partition reported and held at it, the others indexed',
    { timeout: 120_000 },
    async (t) => {
      const partitions = 3;
      const run = await indexerRun(t, {
        bootstrap: broker.bootstrap(),
        url,
        name: 'conf_corrupt',
        partitions,
      });
      const to: Destinations = {
        bootstrap: run.bootstrap,
        url,
        pattern: `${run.prefix}-*`,
        failures: run.failures,
      };
      // 234 sessions a partition, in batches of 50 records: partition 1's third batch (offsets
      // 100–149) gets damaged.
      const byPartition = [0, 1, 2].map((p) => corpus.filter((_, i) => i % partitions === p));
      for (const [partition, sessions] of byPartition.entries()) {
        const values = bulk1(sessions, run.prefix).map((value) => ({ partition, value }));
        await produceRecords(run.bootstrap, run.topic, values, 50);
      }
      const segment = join(broker.options.dir, 'data', `${run.topic}-1`, '00000000000000000000.log');
      const damaged = segmentBatches(segment).find((b) => b.baseOffset <= 100n && b.lastOffset >= 100n);
      assert.ok(damaged, `a batch holding offset 100 in ${segment}`);
      assert.equal(damaged.baseOffset, 100n);
      // Bytes in the middle of the first record's value flipped: the JSON may even stay valid,
      // only the batch's CRC tells.
      const value = firstValue(segment, damaged);
      const at = value.position + Math.floor(value.length / 2);
      const original = readFileSync(segment).subarray(at, at + 4);
      const file = openSync(segment, 'r+');
      writeSync(file, Buffer.from(original.map((b) => b ^ 0x01)), 0, 4, at);
      closeSync(file);

      const indexer = await run.start({ LOG_LEVEL: 'info' });
      const sessionsBefore = byPartition[1]?.slice(0, 100) ?? [];
      const held = byPartition[1]?.slice(100) ?? [];
      const expected = [...(byPartition[0] ?? []), ...sessionsBefore, ...(byPartition[2] ?? [])];
      await waitAccounted(indexer, to, expected.length, 60_000);
      const msg = 'unreadable record batch: this partition waits, the others go on';
      const reported = await indexer
        .waitFor('the unreadable batch reported', () => linesSaying(indexer, msg).length > 0, 20_000)
        .then(
          () => true,
          () => false,
        );
      const line = linesSaying(indexer, msg)[0];
      const counted = await indexer.metric('unreadable_batches_total', `topic="${run.topic}",partition="1"`);
      // Commits follow indexing within a commit interval: wait for them to settle where they should.
      const ends = await endOffsets(run.bootstrap, run.topic);
      const settled = (offsets: bigint[]): boolean =>
        offsets[0] === ends[0] && offsets[1] === 100n && offsets[2] === ends[2];
      await indexer
        .waitFor(
          'partitions 0 and 2 committed to their ends, 1 to the damaged batch',
          async () => settled(await run.committed()),
          20_000,
        )
        .catch(() => undefined);
      const committed = await run.committed();
      await stopCleanly(indexer);

      const { accounting } = await conclude('corrupt batch on disk', to, run.group, ids(expected));
      console.log(
        `[conformance] corrupt batch on disk: held back ${held.length} (partition 1 from offset 100), committed ${committed.join(', ')} of ${ends.join(', ')}`,
      );
      assert.equal(accounting.indexed, expected.length);
      assert.deepEqual(
        committed,
        [ends[0], 100n, ends[2]],
        'partition 1 not committed past the damaged batch',
      );
      assert.ok(reported, indexer.output.slice(-3000));
      assert.deepEqual(
        [line?.['topic'], line?.['partition'], String(line?.['offset'])],
        [run.topic, 1, '100'],
      );
      assert.ok(counted >= 1, 'arkime_kafkaindexer_unreadable_batches_total');
    },
  );

  test(
    'g: a consumer byte-rate quota of 200 KB/s on the indexer: every session indexed at the quota, no fetch time-outs',
    { timeout: 120_000 },
    async (t) => {
      const run = await indexerRun(t, {
        bootstrap: broker.bootstrap(),
        url,
        name: 'conf_quota',
        partitions: 2,
      });
      const to: Destinations = {
        bootstrap: run.bootstrap,
        url,
        pattern: `${run.prefix}-*`,
        failures: run.failures,
      };
      const sessions = [...corpus, ...renamed(corpus, 'again')];
      const values = bulk1(sessions, run.prefix);
      await produce(run.bootstrap, run.topic, values, 2);
      const rate = 200 * 1024;
      await consumerQuota(run.bootstrap, rate);
      t.after(() => consumerQuota(run.bootstrap, undefined));

      const started = Date.now();
      const indexer = await run.start({ LOG_LEVEL: 'info' });
      const all = await waitAccounted(indexer, to, sessions.length, 90_000);
      const seconds = (Date.now() - started) / 1000;
      const bytes = values.reduce((sum, v) => sum + v.length, 0);
      const failures = indexer.lines.filter(
        (l) => Number(l['level']) >= 40 && /fetch|time(d)? ?out/i.test(String(l['msg'])),
      );
      await stopCleanly(indexer);
      console.log(
        `[conformance] quota: ${bytes} bytes at ${rate} B/s: all indexed ${all} in ${seconds.toFixed(1)} s (${(bytes / rate).toFixed(1)} s at the quota)`,
      );
      await conclude('consumer byte-rate quota', to, run.group, ids(sessions));
      assert.deepEqual(failures, [], 'no fetch failure or time-out');
      // The quota was in force: a run at full speed takes a second or two.
      assert.ok(seconds >= (bytes / rate) * 0.5, `${seconds} s for ${bytes} bytes`);
    },
  );
});
