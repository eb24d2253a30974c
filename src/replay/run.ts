// `arkime-kafka-indexer replay`, wired: the failure topic's reader → the records picked → batches
// → the indexer's own bulk path (allow-list, retries, per-item classification) → the documents
// refused again to a topic of their own, with their reasons. It reads up to the end offsets taken
// at start, so it finishes; it reads in a group of its own that never commits, so the indexer's
// group is left alone. Exit 0 only if every record picked was indexed.
import { secretValues } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { failureDelivery } from '../kafka/failures/delivery.js';
import { indexerDeps } from '../indexer-deps.js';
import { FailureProducer } from '../kafka/failures/producer.js';
import { TopicReader, type TopicRecord, type ReadRange } from '../kafka/topic-reader.js';
import { allowList } from '../pipeline/allow-list.js';
import { Bulker, type Batch } from '../pipeline/bulker.js';
import { indexBatch, type BatchEntry } from '../pipeline/indexer.js';
import type { FailedDocument, SourcePosition } from '../records.js';
import { BulkClient } from '../search/bulk-client.js';
import { createLogger, standardError, type Logger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { handleSignals } from '../signals.js';
import type { ReplayOptions } from './args.js';
import { DryRunTally, progressReporter, refusedTotal, summaryLines, type ReplayCounts } from './report.js';
import { batchEntry, describeRecord, recordFilter } from './selection.js';
import { Stopped, untilAborted, whileRunning } from './stopping.js';

export interface ReplayOutput {
  /** The report: the tables. */
  print: (line: string) => void;
  /** Progress: a bar on a terminal, plain lines otherwise. */
  progress: (text: string) => void;
  terminal: boolean;
}

const recordsIn = (ranges: ReadRange[]): number =>
  ranges.reduce((sum, r) => sum + Number(r.end - r.start), 0);

/** How long a stop may take once asked for, as for the service: below Kubernetes' default 30 s grace period. */
const stopDeadlineMs = 25_000;

export async function runReplay(config: Config, options: ReplayOptions, out: ReplayOutput): Promise<number> {
  // Logs go to standard error: standard output is the report.
  const logger = createLogger(config.logLevel, standardError(), secretValues(config)).child({
    component: 'replay',
  });
  // The failure topic lives where the indexer produces it.
  const reader = new TopicReader(config, config.kafkaProducerBrokers, options.topic, {
    name: 'replay',
    description: 'failure topic reader',
  });
  const stopping = new AbortController();
  const releaseSignals = handleSignals({
    stop: (signal) => {
      logger.warn(
        { signal },
        'signal received: stopping the replay; what is not indexed yet stays on the topic',
      );
      stopping.abort();
    },
    deadline: {
      ms: stopDeadlineMs,
      overdue: () => logger.error({ deadlineMs: stopDeadlineMs }, 'the replay took too long to stop'),
    },
  });
  try {
    logger.info({ topic: options.topic }, "taking the failure topic's offsets");
    const ranges = await whileRunning(reader.range(options.since), stopping.signal);
    logger.info({ topic: options.topic, ranges: ranges.map(describeRange) }, 'reading the failure topic');
    const chunks = reader.read(ranges);
    const total = recordsIn(ranges);
    if (options.dryRun) return await dryRun(chunks, total, options, out, stopping.signal);
    return await replay(config, chunks, total, options, out, logger, stopping.signal);
  } catch (error) {
    if (!(error instanceof Stopped)) throw error;
    out.print(stoppedLine);
    return 1;
  } finally {
    await reader.close();
    releaseSignals();
  }
}

const stoppedLine = 'Stopped before the end: the records not replayed are still on the topic.';

function describeRange(r: ReadRange): string {
  return `${r.partition}:${r.start}-${r.end}`;
}

/**
 * Counts what a replay would pick, by error type and index. Stopped (`signal`), it prints the
 * counts of what it read and exits 1: they are not the topic's.
 */
export async function dryRun(
  chunks: AsyncIterable<TopicRecord[]>,
  total: number,
  options: ReplayOptions,
  out: ReplayOutput,
  signal: AbortSignal,
): Promise<number> {
  const selected = recordFilter(options);
  const tally = new DryRunTally();
  const progress = progressReporter({ write: out.progress, terminal: out.terminal, now: Date.now });
  const counts = (): ReplayCounts => ({
    total,
    read: tally.read,
    selected: tally.selected,
    indexed: 0,
    refused: new Map(),
    dryRun: true,
  });
  for await (const chunk of untilAborted(chunks, signal)) {
    for (const record of chunk) {
      const r = describeRecord(record, options.topic);
      tally.add(r, selected(r));
    }
    progress.update(counts());
  }
  progress.done(counts());
  tally.lines(options.topic).forEach(out.print);
  if (!signal.aborted) return 0;
  out.print('Stopped before the end: the counts are those of the records read.');
  return 1;
}

async function replay(
  config: Config,
  chunks: AsyncIterable<TopicRecord[]>,
  total: number,
  options: ReplayOptions,
  out: ReplayOutput,
  logger: Logger,
  signal: AbortSignal,
): Promise<number> {
  const metrics = createMetrics(config);
  const client = new BulkClient(config, { logger: logger.child({ component: 'search' }), metrics });
  const producer = new FailureProducer(config, logger, metrics, options.failedTo);
  const counts: ReplayCounts = {
    total,
    read: 0,
    selected: 0,
    indexed: 0,
    refused: new Map(),
  };
  const progress = progressReporter({ write: out.progress, terminal: out.terminal, now: Date.now });
  // Each entry's source is an object of its own, which the indexer hands back in its failures.
  const positions = new WeakMap<SourcePosition, number>();
  let fatal: Error | undefined;
  const deliver = failureDelivery({
    producer,
    logger,
    onFatal: (error) => (fatal = error instanceof Error ? error : new Error(String(error))),
  });
  const deps = indexerDeps(config, {
    client,
    metrics,
    log: (component) => logger.child({ component }),
    fail: async (failures: FailedDocument[], s: AbortSignal) => {
      for (const f of failures) counts.refused.set(f.errorType, (counts.refused.get(f.errorType) ?? 0) + 1);
      const placed = failures.map((f) => {
        const position = positions.get(f.source);
        return position === undefined ? f : { ...f, position };
      });
      await deliver(placed, s);
    },
    onUnavailable: (unavailable, why) => {
      if (unavailable)
        logger.warn({ error: why }, 'the search cluster does not take the documents; retrying');
    },
  });
  const send = async (batch: Batch<BatchEntry>): Promise<boolean> => {
    const documents = batch.entries.reduce((n, e) => n + e.parsed.items.length + e.parsed.rejected.length, 0);
    const refusedBefore = refusedTotal(counts);
    if ((await indexBatch(deps, batch.entries, signal)) === 'abandoned' || fatal !== undefined) return false;
    counts.indexed += documents - (refusedTotal(counts) - refusedBefore);
    progress.update(counts);
    return true;
  };

  client.start();
  try {
    await whileRunning(producer.ensureTopic(), signal);
    const selected = recordFilter(options);
    const allowed = allowList(config);
    const bulker = new Bulker<BatchEntry>({
      maxMessages: config.bulkerMaxMessages,
      maxBytes: config.bulkerMaxBytes,
      flushIntervalMs: config.bulkerFlushInterval,
    });
    let complete = true;
    reading: for await (const chunk of untilAborted(chunks, signal)) {
      for (const record of chunk) {
        counts.read += 1;
        const r = describeRecord(record, options.topic);
        if (!selected(r)) continue;
        counts.selected += 1;
        const entry = batchEntry(r, allowed);
        // Refused again, a document keeps its place in its source message, when it had one.
        if (r.position !== undefined) positions.set(entry.message, r.position);
        // The bulker's time limit plays no part: the records are all there, batches go out full.
        for (const batch of bulker.add(entry, entry.parsed.body.length, 0)) {
          if (!(await send(batch))) {
            complete = false;
            break reading;
          }
        }
      }
      progress.update(counts);
    }
    // Stopped while waiting for records: what the bulker holds is not sent either.
    if (signal.aborted) complete = false;
    const last = complete ? bulker.drain() : undefined;
    if (last !== undefined) complete = await send(last);
    progress.done(counts);
    if (fatal !== undefined) throw fatal;
    summaryLines(counts, options.topic, options.failedTo).forEach(out.print);
    if (!complete) out.print(stoppedLine);
    // Documents, not records, are counted as indexed (a record refused whole holds all of its
    // message's), so success is: read to the end and nothing refused again.
    return complete && refusedTotal(counts) === 0 ? 0 : 1;
  } finally {
    await producer.close();
    await client.close();
  }
}
