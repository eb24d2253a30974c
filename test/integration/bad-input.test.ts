// A corpus of broken messages mixed into good traffic: each broken one ends on the failure topic
// whole, with its reason; every good document is indexed; every offset is committed.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { arkimeMessages, bulkLines, indexFor, readSessions } from '../../stack/arkime.js';
import { indexerRun, stopCleanly } from '../helpers/indexer.js';
import { kafkaAnd, type KafkaAndSearch } from '../helpers/stack.js';

function nested(depth: number): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i += 1) value = { n: value };
  return value;
}

describe('bad input never stalls a partition nor spoils its neighbours', () => {
  let servers: KafkaAndSearch;
  before(async () => (servers = await kafkaAnd('elasticsearch')));

  test('each broken message goes to the failure topic whole with its reason; all good documents are indexed', async (t) => {
    const run = await indexerRun(t, { ...servers, name: 'arkime_bad' });
    const { prefix, topic } = run;

    const sessions = readSessions().slice(200, 260);
    const [a, b, c, d] = sessions as [
      (typeof sessions)[0],
      (typeof sessions)[0],
      (typeof sessions)[0],
      (typeof sessions)[0],
    ];
    const pair = (s: typeof a): string => bulkLines(s, indexFor(s, prefix));
    const bad: { value: Buffer; reason: string }[] = [
      { value: Buffer.from('this is not json\n'), reason: 'malformed_document' },
      { value: Buffer.from(pair(a) + '{"index":{"_index":"x"'), reason: 'malformed_action' },
      {
        value: Buffer.from(pair(b) + `{"index":{"_index":"${prefix}-x","_id":"lonely"}}\n`),
        reason: 'missing_document',
      },
      { value: Buffer.from(`{"upsert":{"_index":"${prefix}-x"}}\n{}\n`), reason: 'malformed_action' },
      { value: Buffer.alloc(0), reason: 'empty_message' },
      {
        value: Buffer.concat([
          Buffer.from(pair(c).slice(0, 60)),
          Buffer.from([0xc3, 0x28]),
          Buffer.from('"}\n{}\n'),
        ]),
        reason: 'invalid_utf8',
      },
      { value: Buffer.from(JSON.stringify({ ...d.doc, notIndex: 'x' })), reason: 'malformed_document' },
      // Valid JSON, but deeper than the cluster's mapping depth limit: refused per document by the cluster.
      {
        value: Buffer.from(
          `{"index":{"_index":"${prefix}-250124","_id":"too-deep"}}\n${JSON.stringify({ deep: nested(30) })}\n`,
        ),
        reason: 'document_parsing_exception',
      },
    ];
    const good = sessions.slice(4);
    const goodMessages = arkimeMessages(good, 'bulk1', prefix);
    // A valid bulk message larger than BULKER_MAX_BYTES: sent in a bulk of its own, not refused.
    const big = readSessions().slice(300, 400);
    const [bigMessage] = arkimeMessages(big, 'bulk', prefix);
    assert.ok(bigMessage && bigMessage.length > 100_000);
    const values: Buffer[] = [];
    goodMessages.forEach((message, i) => {
      values.push(message);
      const broken = bad[i];
      if (broken !== undefined) values.push(broken.value);
    });
    values.push(bigMessage);
    await run.produce(values);

    const indexer = await run.start({ BULKER_MAX_BYTES: '100_000' });
    await run.waitAllCommitted(indexer);
    assert.deepEqual(await run.committed(), [BigInt(values.length)]);
    await stopCleanly(indexer);

    const records = await run.failureRecords(bad.length);
    assert.equal(records.length, bad.length);
    for (const broken of bad) {
      // The too-deep document is refused by the cluster, per document: its record is that document's lines.
      const deep = broken.reason === 'document_parsing_exception';
      const record = records.find((r) =>
        deep ? r.value.includes('"too-deep"') : r.value.equals(broken.value),
      );
      assert.ok(
        record,
        `failure record, whole as received, for ${JSON.stringify(broken.value.toString().slice(0, 60))}`,
      );
      assert.match(
        record.headers.get('aki.error.type') ?? '',
        new RegExp(`^${broken.reason}$|^mapper_parsing_exception$`),
      );
      assert.equal(record.headers.get('aki.source.topic'), topic);
    }
    const stored = new Set((await run.documents()).map((doc) => doc._id));
    for (const session of [...good, ...big]) assert.ok(stored.has(session.id), `${session.id} indexed`);
    assert.equal(stored.size, good.length + big.length, 'nothing from the broken messages was indexed');
    console.log(
      `# bad input: ${values.length} messages, ${bad.length} refused to the failure topic, ${stored.size} documents indexed`,
    );
  });
});
