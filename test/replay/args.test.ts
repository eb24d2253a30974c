// The replay's flags: defaults from the configuration, the one line a bad flag gets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseReplayArgs, parseSince } from '../../src/replay/args.js';

const now = Date.parse('2026-12-06T06:00:00Z');
const parse = (args: string[], topic = 'spi-failed') => parseReplayArgs(args, topic, now);

describe('replay flags', () => {
  test('without flags: the failure topic from the start, everything picked, refused again to <topic>.replay-failed', () => {
    assert.deepEqual(parse([]), {
      options: {
        topic: 'spi-failed',
        since: undefined,
        types: [],
        indices: [],
        sourceTopics: [],
        dryRun: false,
        failedTo: 'spi-failed.replay-failed',
      },
    });
  });

  test('every flag, lists split on commas', () => {
    const parsed = parse([
      '--topic=other',
      '--since',
      '2026-12-06T05:00:00Z',
      '--type',
      'illegal_argument_exception, mapper_parsing_exception',
      '--index',
      'arkime_sessions3-*',
      '--source-topic',
      'spi',
      '--dry-run',
      '--failed-to',
      'again',
    ]);
    assert.deepEqual(parsed, {
      options: {
        topic: 'other',
        since: Date.parse('2026-12-06T05:00:00Z'),
        types: ['illegal_argument_exception', 'mapper_parsing_exception'],
        indices: ['arkime_sessions3-*'],
        sourceTopics: ['spi'],
        dryRun: true,
        failedTo: 'again',
      },
    });
  });

  test('--failed-to may never be the topic being read, named or by default', () => {
    assert.match(
      (parse(['--failed-to', 'spi-failed']) as { error: string }).error,
      /--failed-to spi-failed is the topic being read/,
    );
    assert.match(
      (parse(['--topic', 'x', '--failed-to', 'x']) as { error: string }).error,
      /--failed-to x is the topic being read/,
    );
  });

  test('bad flags: one line naming the flag', () => {
    for (const [args, expected] of [
      [['--typo'], /Unknown option '--typo'/],
      [['--topic'], /--topic/],
      [['extra'], /extra/],
      [['--since', 'yesterday'], /--since "yesterday": expected an ISO 8601 time/],
      [['--since', '2026-13-45'], /--since "2026-13-45" is not a valid time/],
      [['--type', ' , '], /--type names nothing/],
    ] as const) {
      const parsed = parse([...args]);
      assert.ok('error' in parsed, `${args.join(' ')} refused`);
      assert.match(parsed.error, expected);
      assert.equal(parsed.error.split('\n').length, 1);
    }
  });

  test('no topic to read when KAFKA_PRODUCER_TOPIC is empty and --topic is not given', () => {
    assert.match((parse([], '') as { error: string }).error, /set KAFKA_PRODUCER_TOPIC or give --topic/);
  });

  test('--since takes a time or a duration before now', () => {
    assert.equal(parseSince('90m', now), now - 90 * 60_000);
    assert.equal(parseSince('2026-12-06', now), Date.parse('2026-12-06'));
  });
});
