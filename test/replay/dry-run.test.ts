// The dry run, fed chunks as the failure topic's reader gives them: it counts them, and it stops
// on the first stop signal even while the reader has nothing more to give (it used to go on
// waiting: the first Ctrl-C did nothing).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TopicRecord } from '../../src/kafka/topic-reader.js';
import type { ReplayOptions } from '../../src/replay/args.js';
import { dryRun } from '../../src/replay/run.js';

const options: ReplayOptions = {
  topic: 'spi-failed',
  since: undefined,
  types: [],
  indices: [],
  sourceTopics: [],
  dryRun: true,
  failedTo: 'spi-failed.replay-failed',
};

function record(offset: bigint, errorType: string): TopicRecord {
  return {
    partition: 0,
    offset,
    timestamp: 1_765_000_000_000 + Number(offset),
    headers: new Map([
      ['aki.error.type', errorType],
      ['aki.index', 'arkime_sessions3-251206'],
    ]),
    value: Buffer.from('{"index":{}}\n{}\n'),
  };
}

async function* toAsync<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

function output() {
  const printed: string[] = [];
  return {
    printed,
    out: { print: (line: string) => printed.push(line), progress: () => undefined, terminal: false },
  };
}

describe('replay --dry-run', () => {
  test('read to the end: the counts, exit 0', async () => {
    const { printed, out } = output();
    const chunks = [[record(0n, 'a'), record(1n, 'b')], [record(2n, 'a')]];
    const code = await dryRun(toAsync(chunks), 3, options, out, new AbortController().signal);
    assert.equal(code, 0);
    assert.match(printed[0] ?? '', /3 records read, 3 selected/);
  });

  test(
    'stopped while the reader waits for more: the counts of what was read, a line saying so, exit 1',
    { timeout: 10_000 },
    async () => {
      const { printed, out } = output();
      const controller = new AbortController();
      async function* chunks() {
        yield [record(0n, 'a'), record(1n, 'b')];
        // The next fetch never comes; only the stop ends the run.
        setImmediate(() => controller.abort());
        await new Promise(() => undefined);
      }
      const code = await dryRun(chunks(), 1000, options, out, controller.signal);
      assert.equal(code, 1);
      assert.match(printed[0] ?? '', /2 records read, 2 selected/);
      assert.equal(printed.at(-1), 'Stopped before the end: the counts are those of the records read.');
    },
  );
});
