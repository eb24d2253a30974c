// The indexer's end-to-end behaviours against one search server, each the body of a test: run by
// the integration tests against the stack's default versions, and by the compatibility matrix
// (test/compat/) against every version it lists.
import assert from 'node:assert/strict';
import {
  arkimeMessages,
  bulkLines,
  indexFor,
  readSessions,
  type ArkimeFormat,
  type ArkimeSession,
} from '../../stack/arkime.js';
import { groupType } from '../../stack/kafka-topics.js';
import { call, count, type TemplateKind } from '../../stack/search-client.js';
import { indexerRun, stopCleanly, type Cleanups } from './indexer.js';
import type { KafkaAndSearch } from './stack.js';

/** Canonical JSON (keys sorted) so documents compare whatever their key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface CorpusOptions {
  format: ArkimeFormat;
  /** The incremental group protocol (KAFKA_CONSUMER_INCREMENTAL_REBALANCE=true). */
  incremental?: boolean;
  template?: TemplateKind;
}

/** The whole real corpus through Kafka: every session in its index, with its _id, unchanged. */
export async function corpusReadBackIdentical(
  t: Cleanups,
  servers: KafkaAndSearch,
  { format, incremental = false, template = 'composable' }: CorpusOptions,
): Promise<void> {
  const sessions = readSessions();
  const run = await indexerRun(t, {
    ...servers,
    name: `arkime_${format}`,
    partitions: 3,
    failureTopic: false,
    template,
  });
  const { prefix, bootstrap } = run;
  const messages = arkimeMessages(sessions, format, prefix);
  await run.produce(messages);

  const indexer = await run.start({
    ELASTIC_INDEXER_INSTANCES: '2',
    BULKER_FLUSH_INTERVAL: '500ms',
    KAFKA_CONSUMER_INCREMENTAL_REBALANCE: String(incremental),
  });
  // The corpus spans 130 days: as many indices to create, which takes long on a busy machine.
  await indexer.waitForMetric('indexed_documents_total', (n) => n >= sessions.length, '', 180_000);
  assert.equal(await indexer.metric('session_index_failure_total'), 0, indexer.output.slice(-3000));
  assert.equal(await groupType(bootstrap, run.group), incremental ? 'consumer' : 'classic');
  // Offsets are committed once documents are acknowledged: every message is accounted for.
  const perPartition = [0, 1, 2].map((p) => BigInt(messages.filter((_, i) => i % 3 === p).length));
  await run.waitAllCommitted(indexer);
  assert.deepEqual(await run.committed(), perPartition);
  await stopCleanly(indexer);

  const stored = await run.documents();
  assert.equal(stored.length, sessions.length);
  const expectedIndex = new Map<string, number>();
  for (const s of sessions)
    expectedIndex.set(indexFor(s, prefix), (expectedIndex.get(indexFor(s, prefix)) ?? 0) + 1);
  const actualIndex = new Map<string, number>();
  for (const d of stored) actualIndex.set(d._index, (actualIndex.get(d._index) ?? 0) + 1);
  assert.deepEqual(actualIndex, expectedIndex);

  if (format === 'doc') {
    // No _id travels in doc format: the indexer derives one for each (ELASTIC_DETERMINISTIC_IDS, on
    // by default), one per message. These indices are not named as Arkime's (`<prefix>sessions3-…`):
    // the hash alone. The routing field is not stored.
    assert.ok(
      stored.every((d) => /^[A-Za-z0-9_-]{24}$/.test(d._id)),
      stored[0]?._id,
    );
    assert.equal(new Set(stored.map((d) => d._id)).size, sessions.length);
    assert.ok(stored.every((d) => !('index' in d._source)));
    assert.deepEqual(
      stored.map((d) => canonical(d._source)).sort(),
      sessions.map((s) => canonical(s.doc)).sort(),
    );
  } else {
    const byId = new Map(stored.map((d) => [d._id, d]));
    for (const session of sessions) {
      const doc = byId.get(session.id);
      assert.ok(doc, `${session.id} indexed`);
      assert.equal(doc._index, indexFor(session, prefix));
      assert.deepEqual(doc._source, session.doc);
    }
  }
}

/**
 * Three documents that break the sessions3 mapping, among good ones: they go to the failure topic
 * exactly as sent, with the reason, while their neighbours are indexed. Returns the error types
 * the server gave them.
 */
export async function mappingBreakersToFailureTopic(
  t: Cleanups,
  servers: KafkaAndSearch,
  template: TemplateKind = 'composable',
): Promise<string[]> {
  const run = await indexerRun(t, { ...servers, name: 'arkime_fail', template });
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
  const types: string[] = [];
  for (const [i, session] of broken) {
    const record = byId.get(session.id);
    assert.ok(record, `failure record for ${session.id}`);
    assert.equal(record.value.toString(), pairs[i], 'action and document lines byte for byte');
    const type = record.headers.get('aki.error.type') ?? '';
    assert.match(type, /^(mapper_parsing_exception|document_parsing_exception)$/);
    types.push(type);
    assert.equal(record.headers.get('aki.error.status'), '400');
    assert.equal(record.headers.get('aki.index'), indexFor(session, run.prefix));
    assert.equal(record.headers.get('aki.source.topic'), run.topic);
    assert.ok((record.headers.get('aki.error.reason') ?? '').length > 0);
  }

  const stored = new Set((await run.documents()).map((d) => d._id));
  sessions.forEach((s, i) =>
    assert.equal(stored.has(s.id), !broken.has(i), `${s.id} indexed: ${!broken.has(i)}`),
  );
  return types;
}

/** The index settings that block writes: the flood-stage watermark's, or an operator's. */
export type WriteBlock = 'index.blocks.read_only_allow_delete' | 'index.blocks.write';

/**
 * A write-blocked index is waited out, reported, and indexed into once the block lifts; nothing
 * on the failure topic.
 */
export async function writeBlockWaitedOut(
  t: Cleanups,
  servers: KafkaAndSearch,
  block: WriteBlock,
  template: TemplateKind = 'composable',
): Promise<void> {
  const run = await indexerRun(t, { ...servers, name: 'arkime_block', template });
  const sessions = readSessions().filter((s) => s.index.endsWith('-231114'));
  const index = `${run.prefix}-231114`;
  const blocked = (value: true | null) => call('PUT', `${run.url}/${index}/_settings`, { [block]: value });
  await call('PUT', `${run.url}/${index}`);
  await blocked(true);
  await run.produce(arkimeMessages(sessions, 'bulk', run.prefix));

  const indexer = await run.start({
    ELASTIC_CLIENT_MAX_RETRIES: '3',
    ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '500ms',
  });
  await indexer.waitForMetric('search_cluster_unavailable', (n) => n === 1);
  // The cluster's own reason for each refused document, as the indexer counted it.
  const retried = 'documents_retried_total';
  assert.ok((await indexer.metric(retried, 'reason="cluster_block_exception"')) >= sessions.length);
  // Still refused, tried again and again: nothing indexed, nothing given up.
  const retries = await indexer.metric('bulk_index_retry_total');
  await indexer.waitForMetric('bulk_index_retry_total', (n) => n >= retries + 3);
  assert.equal(await count(run.url, index), 0);
  assert.equal(await indexer.metric('session_index_failure_total'), 0);
  assert.equal(
    await indexer.metric(retried),
    await indexer.metric(retried, 'reason="cluster_block_exception"'),
  );

  await blocked(null);
  await indexer.waitForMetric('indexed_documents_total', (n) => n === sessions.length);
  assert.equal(await indexer.metric('search_cluster_unavailable'), 0);
  await stopCleanly(indexer);
  assert.equal(await count(run.url, index), sessions.length);
  await run.assertNoFailureRecords();
}

/**
 * The whole corpus, bulk1, into a node whose write pool has one thread and a queue of one: its
 * genuine per-item 429 rejections are resent alone until indexed, none on the failure topic.
 * Returns the number of bulk retries.
 */
export async function rejectionsResentAlone(
  t: Cleanups,
  servers: KafkaAndSearch,
  template: TemplateKind = 'composable',
): Promise<number> {
  const run = await indexerRun(t, { ...servers, name: 'arkime_busy', partitions: 4, template });
  const sessions = readSessions();
  await run.produce(arkimeMessages(sessions, 'bulk1', run.prefix));

  const indexer = await run.start({
    ELASTIC_CLIENT_RETRY_MAX_INTERVAL: '1s',
    ELASTIC_INDEXER_INSTANCES: '8',
    BULKER_MAX_MESSAGES: '20',
  });
  // Usually 45 s; under 429s from a one-thread write pool the 8 indexers' retries can keep
  // colliding, and twice the last documents went in after more than 120 s, still moving (commits
  // advancing), never stalled or failed.
  await indexer.waitForMetric('indexed_documents_total', (n) => n === sessions.length, '', 240_000);
  const retries = await indexer.metric('bulk_index_retry_total');
  assert.ok(retries > 0, 'the node rejected some writes (else this test proves nothing)');
  assert.ok(
    (await indexer.metric('documents_retried_total', 'reason="es_rejected_execution_exception"')) > 0 ||
      (await indexer.metric('documents_retried_total', 'reason="rejected_execution_exception"')) > 0,
    'the retries were per-item rejections',
  );
  assert.equal(await indexer.metric('session_index_failure_total'), 0);
  assert.equal(await indexer.metric('msg_produced_success_total'), 0);
  await stopCleanly(indexer);
  assert.equal(await count(servers.url, `${run.prefix}-*`), sessions.length);
  return retries;
}

/** The settings of a node whose write pool rejects most of parallel bulks' items with 429. */
export const overloadedWritePool = { 'thread_pool.write.size': '1', 'thread_pool.write.queue_size': '1' };
