import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { bulkLines, indexFor, readSessions, type ArkimeSession } from '../../stack/arkime.js';
import { indexerRun, stopCleanly } from '../helpers/indexer.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';

for (const server of ['elasticsearch', 'opensearch'] as const) {
  describe(`documents that break the sessions3 mapping (${server})`, () => {
    let servers: KafkaAndSearch;
    before(async () => (servers = await kafkaAnd(server)));

    test('go to the failure topic exactly as sent, with the reason, while their neighbours are indexed', async (t) => {
      const run = await indexerRun(t, { ...servers, name: 'arkime_fail' });
      const sessions = readSessions().slice(100, 110);
      const broken = new Map<number, ArkimeSession>([
        [2, { ...sessions[2]!, doc: { ...sessions[2]!.doc, firstPacket: 'yesterday' } }],
        [5, { ...sessions[5]!, doc: { ...sessions[5]!.doc, source: { ip: 'not-an-ip' } } }],
        [9, { ...sessions[9]!, doc: { ...sessions[9]!.doc, lastPacket: 'never' } }],
      ]);
      const sent = sessions.map((s, i) => broken.get(i) ?? s);
      const pairs = sent.map((s) => bulkLines(s, indexFor(s, run.prefix)));
      // One bulk message holding two broken documents among good ones, and a bulk1 message holding the third.
      await run.produce([Buffer.from(pairs.slice(0, 9).join('')), Buffer.from(pairs[9]!)]);

      const indexer = await run.start();
      await indexer.waitFor('good documents indexed and bad ones produced', async () => {
        const indexed = await indexer.metric('indexed_documents_total');
        const produced = await indexer.metric('msg_produced_success_total');
        return indexed === 7 && produced === 3;
      });
      assert.equal(await indexer.metric('session_index_failure_total'), 3);
      await stopCleanly(indexer);

      const records = await run.failureRecords(3);
      const byId = new Map(records.map((r) => [r.headers.get('aki.id'), r]));
      for (const [i, session] of broken) {
        const record = byId.get(session.id);
        assert.ok(record, `failure record for ${session.id}`);
        assert.equal(record.value.toString(), pairs[i], 'action and document lines byte for byte');
        assert.match(
          record.headers.get('aki.error.type') ?? '',
          /^(mapper_parsing_exception|document_parsing_exception)$/,
        );
        assert.equal(record.headers.get('aki.error.status'), '400');
        assert.equal(record.headers.get('aki.index'), indexFor(session, run.prefix));
        assert.equal(record.headers.get('aki.source.topic'), run.topic);
        assert.ok((record.headers.get('aki.error.reason') ?? '').length > 0);
      }

      const stored = new Set((await run.documents()).map((d) => d._id));
      sessions.forEach((s, i) =>
        assert.equal(stored.has(s.id), !broken.has(i), `${s.id} indexed: ${!broken.has(i)}`),
      );
    });
  });
}
