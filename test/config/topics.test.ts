import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { printableConfig } from '../../src/config/print.js';
import { failureTopics, parseTopicSelection } from '../../src/config/topics.js';
import { ValueError } from '../../src/config/values.js';

const required = { KAFKA_CONSUMER_GROUP_NAME: 'g', ELASTIC_SERVICE: 'http://es:9200' };
const existing = ['arkime-a', 'arkime-b', 'arkime-failed', 'other', 'xarkime-c'];
const none = new Set<string>();

describe('KAFKA_CONSUMER_TOPIC: a topic, a comma list, or /regular expression/', () => {
  test('one name means what it meant: that topic alone, as written', () => {
    const selection = parseTopicSelection(' arkime-sessions ');
    assert.equal(selection.pattern, undefined);
    assert.deepEqual(selection.select(existing, none), ['arkime-sessions']);
    assert.equal(String(selection), 'arkime-sessions');
  });

  test('a comma list: each name once, in order, blanks dropped; named topics are read whether listed or not', () => {
    const selection = parseTopicSelection('spi-b, spi-a,,spi-b ');
    assert.deepEqual(selection.names, ['spi-b', 'spi-a']);
    assert.deepEqual(selection.select([], none), ['spi-b', 'spi-a']);
    assert.equal(String(selection), 'spi-b,spi-a');
  });

  test('a pattern in slashes: the existing topics it matches, sorted, the excluded (failure) topic left out', () => {
    const selection = parseTopicSelection('/^arkime-.*$/');
    assert.equal(selection.pattern?.source, '^arkime-.*$');
    assert.deepEqual(selection.select(existing, new Set(['arkime-failed'])), ['arkime-a', 'arkime-b']);
    assert.deepEqual(selection.select([], none), []);
    assert.equal(String(selection), '/^arkime-.*$/');
    // Unanchored as JavaScript tests it: ^ and $ are the user's to write.
    assert.deepEqual(parseTopicSelection('/arkime-/').select(existing, none), [
      'arkime-a',
      'arkime-b',
      'arkime-failed',
      'xarkime-c',
    ]);
  });

  test('a pattern never selects the failure topic nor where replay puts what is refused again', () => {
    const selection = parseTopicSelection('/^arkime-/');
    const topics = [
      'arkime-a',
      'arkime-failed',
      'arkime-failed.replay-failed',
      'arkime-failed.replay-failed.replay-failed',
      'arkime-failed.other',
    ];
    assert.deepEqual(selection.select(topics, failureTopics('arkime-failed')), [
      'arkime-a',
      'arkime-failed.other',
    ]);
    // Whatever the failure topic, a replay's refusals are never read as sessions.
    assert.deepEqual(selection.select(topics, failureTopics('')), [
      'arkime-a',
      'arkime-failed',
      'arkime-failed.other',
    ]);
  });

  const invalid: [string, RegExp][] = [
    ['/[a-/', /^a valid regular expression in slashes \(.*[Uu]nterminated character class\)$/],
    ['/(/', /^a valid regular expression in slashes \(.+\)$/],
    ['//', /^a regular expression between the slashes/],
    [' , ', /^a topic name, a comma list of them, or \/regular expression\/$/],
    ['arkime-*', /not "arkime-\*"\); for a pattern, a regular expression in slashes/],
    ['spi,has space', /not "has space"/],
    ['x'.repeat(250), /topic names of letters/],
  ];
  for (const [text, expected] of invalid) {
    test(`${JSON.stringify(text.slice(0, 20))} is refused, saying what is expected`, () => {
      assert.throws(
        () => parseTopicSelection(text),
        (error: unknown) => error instanceof ValueError && expected.test(error.message),
      );
    });
  }

  test('loaded: a bad pattern is one error naming KAFKA_CONSUMER_TOPIC with its value', () => {
    const loaded = loadConfig({ ...required, KAFKA_CONSUMER_TOPIC: '/^arkime-(/' });
    assert.equal(loaded.ok, false);
    assert.ok(!loaded.ok);
    assert.equal(loaded.errors.length, 1);
    assert.match(
      loaded.errors[0] ?? '',
      /^KAFKA_CONSUMER_TOPIC="\/\^arkime-\(\/" is not valid: expected a valid regular expression/,
    );
  });

  test('KAFKA_METADATA_REFRESH: 1m unless set, a duration of at least 1 s', () => {
    const loaded = loadConfig({ ...required, KAFKA_CONSUMER_TOPIC: '/^a/' });
    assert.ok(loaded.ok);
    assert.equal(loaded.config.kafkaMetadataRefresh, 60_000);
    const set = loadConfig({ ...required, KAFKA_CONSUMER_TOPIC: 'a', KAFKA_METADATA_REFRESH: '15s' });
    assert.ok(set.ok);
    assert.equal(set.config.kafkaMetadataRefresh, 15_000);
    const tooShort = loadConfig({ ...required, KAFKA_CONSUMER_TOPIC: 'a', KAFKA_METADATA_REFRESH: '10ms' });
    assert.ok(!tooShort.ok);
    assert.match(tooShort.errors[0] ?? '', /^KAFKA_METADATA_REFRESH="10ms" is not valid/);
  });

  test('--print-config writes the setting back as given, so that the line can be pasted', () => {
    for (const text of ['/^arkime-.*$/', 'spi-a,spi-b']) {
      const loaded = loadConfig({ ...required, KAFKA_CONSUMER_TOPIC: text });
      assert.ok(loaded.ok);
      assert.ok(printableConfig(loaded.config).includes(`\nKAFKA_CONSUMER_TOPIC=${text}\n`));
    }
  });

  test('the command stops with one line naming KAFKA_CONSUMER_TOPIC and exit code 2', () => {
    const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
    const result = spawnSync(process.execPath, [cli], {
      env: { PATH: process.env['PATH'], ...required, KAFKA_CONSUMER_TOPIC: '/[/' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(result.status, 2, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0] ?? '',
      /KAFKA_CONSUMER_TOPIC="\/\[\/" is not valid: expected a valid regular expression/,
    );
  });
});
