import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runChecks, type Check } from '../../src/check/run.js';

describe('runChecks', () => {
  test('prints ✓ with what was found and ✗ with why, in order', async () => {
    const printed: string[] = [];
    const results = await runChecks(
      [
        { name: 'first', run: () => Promise.resolve('3 partitions') },
        { name: 'second', run: () => Promise.reject(new Error('topic "x" does not exist')) },
      ],
      (line) => printed.push(line),
      1000,
    );
    assert.deepEqual(printed, ['✓ first: 3 partitions', '✗ second: topic "x" does not exist']);
    assert.deepEqual(
      results.map((r) => r.ok),
      [true, false],
    );
  });

  test('a check that never answers fails at its time limit, and its signal is aborted', async () => {
    let aborted = false;
    const hanging: Check = {
      name: 'hanging',
      run: (signal) =>
        new Promise<string>(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
    };
    const started = Date.now();
    const [result] = await runChecks([hanging], () => undefined, 200);
    assert.equal(result?.ok, false);
    assert.equal(result?.detail, 'no answer within 0.2 s');
    assert.ok(aborted);
    assert.ok(Date.now() - started < 2000);
  });

  test('a check whose prerequisite failed is not run, and says so', async () => {
    let ran = false;
    const results = await runChecks(
      [
        { name: 'brokers', run: () => Promise.reject(new Error('connect ECONNREFUSED')) },
        {
          name: 'topic',
          needs: 'brokers',
          run: () => {
            ran = true;
            return Promise.resolve('fine');
          },
        },
        { name: 'search', needs: 'other', run: () => Promise.resolve('up') },
      ],
      () => undefined,
      1000,
    );
    assert.equal(ran, false);
    assert.deepEqual(results[1], { name: 'topic', ok: false, detail: 'not checked: brokers failed' });
    assert.equal(results[2]?.ok, true, 'a prerequisite that is not in the list does not block');
  });
});
