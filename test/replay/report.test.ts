// What replay prints: the dry run's table, the summary, and its progress on a terminal and off one.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TopicRecord } from '../../src/kafka/topic-reader.js';
import {
  DryRunTally,
  progressBar,
  progressLine,
  progressReporter,
  summaryLines,
  table,
  type ReplayCounts,
} from '../../src/replay/report.js';
import { describeRecord } from '../../src/replay/selection.js';

function record(type: string, index: string, timestamp: number, offset: bigint): TopicRecord {
  const headers = new Map([
    ['aki.error.type', type],
    ['aki.index', index],
    ['aki.id', `id-${offset}`],
  ]);
  return { partition: 0, offset, timestamp, headers, value: Buffer.alloc(0) };
}

describe('replay report', () => {
  test('table: columns as wide as their widest cell, numbers to the right', () => {
    assert.deepEqual(
      table(
        [
          ['a', '1'],
          ['long', '100'],
        ],
        new Set([1]),
      ),
      ['a       1', 'long  100'],
    );
  });

  test('dry run: counts by error type and index, the total, the oldest and the newest record', () => {
    const tally = new DryRunTally();
    const records = [
      record('illegal_argument_exception', 'sessions-1', 2000, 0n),
      record('illegal_argument_exception', 'sessions-1', 1000, 1n),
      record('mapper_parsing_exception', 'sessions-2', 3000, 2n),
      record('illegal_argument_exception', 'sessions-2', 1500, 3n),
    ];
    records.forEach((r, i) => tally.add(describeRecord(r, 'f'), i !== 3));
    assert.deepEqual(tally.lines('f'), [
      'Dry run of f: 4 records read, 3 selected; nothing indexed.',
      '',
      'error type                  index       records',
      'illegal_argument_exception  sessions-1        2',
      'mapper_parsing_exception    sessions-2        1',
      'total                                         3',
      '',
      'oldest  1970-01-01T00:00:01.000Z  partition 0 offset 1  illegal_argument_exception _id id-1',
      'newest  1970-01-01T00:00:03.000Z  partition 0 offset 2  mapper_parsing_exception _id id-2',
    ]);
  });

  const counts = (): ReplayCounts => ({
    total: 1200,
    read: 600,
    selected: 500,
    indexed: 497,
    refused: new Map([
      ['mapper_parsing_exception', 2],
      ['not_allowed', 1],
    ]),
  });

  test('summary: read, selected, indexed, refused again by reason and where they went', () => {
    assert.deepEqual(summaryLines(counts(), 'f', 'f.replay-failed'), [
      'Replay of f:',
      '',
      'read                        600',
      'selected                    500',
      'indexed                     497',
      'refused again                 3  to f.replay-failed',
      '  mapper_parsing_exception    2',
      '  not_allowed                 1',
    ]);
  });

  test('on a terminal, a bar redrawn in place', () => {
    assert.equal(
      progressBar(counts(), 10),
      '\r█████░░░░░  50%  600/1,200 read, 497 indexed, 3 refused again',
    );
  });

  test("a dry run's progress says what was read and picked, nothing of indexing", () => {
    const dry = { ...counts(), indexed: 0, refused: new Map(), dryRun: true };
    assert.equal(progressLine(dry), 'replay: 600 of 1,200 records read, 500 selected');
    assert.equal(progressBar(dry, 10), '\r█████░░░░░  50%  600/1,200 read, 500 selected');
  });

  test('off a terminal, a plain line at most every interval, and one at the end', () => {
    const written: string[] = [];
    let now = 0;
    const progress = progressReporter({
      write: (t) => written.push(t),
      terminal: false,
      now: () => now,
      lineIntervalMs: 5000,
    });
    progress.update(counts());
    now = 4999;
    progress.update(counts());
    now = 5000;
    progress.update(counts());
    progress.done(counts());
    const line = 'replay: 600 of 1,200 records read, 500 selected, 497 indexed, 3 refused again\n';
    assert.deepEqual(written, [line, line, line]);
  });
});
