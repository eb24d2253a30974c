// The indices a topic's newest sessions name, in each of Arkime's formats, and the session
// patterns the Arkime checks then look at.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  arkimePatterns,
  arkimeTargets,
  describeNamed,
  namedIndices,
  topicDocumentChecks,
} from '../../src/check/topic-documents.js';
import { allowCheck } from '../../src/pipeline/allow-list.js';
import { arkimeMessages, readSessions } from '../../stack/arkime.js';

const sessions = readSessions().slice(0, 6);
const days = [...new Set(sessions.map((s) => s.index.split('-').at(-1)))].sort();

describe('the indices named in a topic', () => {
  for (const format of ['bulk', 'bulk1', 'doc'] as const) {
    test(`${format}: every index the messages' items name, each once`, () => {
      const values = arkimeMessages(sessions, format, 'prod_sessions3');
      assert.deepEqual(
        namedIndices(values).indices,
        days.map((day) => `prod_sessions3-${day}`),
      );
    });
  }

  test("a message that is not Arkime's names nothing, and does not hide the others", () => {
    const values = [
      Buffer.from('not json\n'),
      ...arkimeMessages(sessions.slice(0, 1), 'bulk1', 'x_sessions3'),
    ];
    assert.deepEqual(namedIndices(values).indices, [`x_sessions3-${sessions[0]?.index.split('-').at(-1)}`]);
  });

  test("Arkime's patterns: the prefix before sessions3-, a wildcard for the date; other names none", () => {
    assert.deepEqual(
      arkimePatterns([
        'prod_sessions3-251207',
        'prod_sessions3-251207h09',
        'sessions3-25w49',
        'logs-2025',
        'arkime_sessions3-*',
      ]),
      ['prod_sessions3-*', 'sessions3-*'],
    );
  });

  test("the targets: the documents' prefixes when everything is allowed; the allow-list's patterns too when it names some; the allow-list's alone for an empty topic", () => {
    assert.deepEqual(arkimeTargets(['*'], ['prod_sessions3-251207']), ['prod_sessions3-*']);
    assert.deepEqual(arkimeTargets(['*'], []), ['arkime_sessions3-*']);
    assert.deepEqual(arkimeTargets(['a_sessions3-*', 'b_sessions3-*'], ['b_sessions3-251207']), [
      'a_sessions3-*',
      'b_sessions3-*',
    ]);
  });

  test("what the allow-list refuses fails the check, by the pipeline's own rule, with what happens to those sessions", () => {
    const config = (indices: string, actions = 'index,create,update,delete') => ({
      elasticAllowedIndices: indices.split(','),
      elasticAllowedActions: actions.split(','),
    });
    const values = [
      Buffer.from('{"index":{"_index":"a_sessions3-251207"}}\n{"a":1}\n'),
      Buffer.from('{"index":{"_index":"b_sessions3-251207"}}\n{"b":1}\n'),
      Buffer.from('{"delete":{"_index":"a_sessions3-251207","_id":"x"}}\n'),
    ];
    assert.equal(describeNamed(0, { indices: [], refused: [] }), 'empty: no message to look at yet');
    assert.equal(
      describeNamed(3, namedIndices(values, allowCheck(config('a_sessions3-*,b_sessions3-*')))),
      'the newest 3 message(s) name a_sessions3-251207, b_sessions3-251207',
    );
    assert.throws(
      () => describeNamed(3, namedIndices(values, allowCheck(config('a_sessions3-*')))),
      /^Error: index "b_sessions3-251207" is not in ELASTIC_ALLOWED_INDICES: every such session goes to the failure topic as not_allowed$/,
    );
    assert.throws(
      () => describeNamed(3, namedIndices(values, allowCheck(config('*', 'index')))),
      /^Error: action "delete" is not in ELASTIC_ALLOWED_ACTIONS: /,
    );
    // An action line without _index passes only when every index is allowed, as in the pipeline.
    const unnamed = [Buffer.from('{"index":{}}\n{"a":1}\n')];
    assert.equal(
      describeNamed(1, namedIndices(unnamed, allowCheck(config('*')))),
      'the newest 1 message(s) name no index',
    );
    assert.throws(
      () => describeNamed(1, namedIndices(unnamed, allowCheck(config('a_sessions3-*')))),
      /names no _index/,
    );
  });

  test('the check reads every topic of its entry and collects what they name for the Arkime checks', async () => {
    const found = new Set<string>();
    const read: string[] = [];
    const [check] = topicDocumentChecks(
      [{ label: 'topics matching /^spi/', topics: () => Promise.resolve(['spi-a', 'spi-b']) }],
      (topic) => {
        read.push(topic);
        return Promise.resolve(arkimeMessages(sessions.slice(0, 1), 'doc', `${topic}_sessions3`));
      },
      { elasticAllowedIndices: ['*'], elasticAllowedActions: ['index'] },
      'Kafka consumer brokers',
      found,
    );
    assert.equal(check?.name, 'indices named in topics matching /^spi/');
    const line = await check?.run(new AbortController().signal);
    const day = sessions[0]?.index.split('-').at(-1) ?? '';
    assert.deepEqual(read, ['spi-a', 'spi-b']);
    assert.equal(line, `the newest 2 message(s) name spi-a_sessions3-${day}, spi-b_sessions3-${day}`);
    assert.deepEqual([...found], [`spi-a_sessions3-${day}`, `spi-b_sessions3-${day}`]);
  });
});
