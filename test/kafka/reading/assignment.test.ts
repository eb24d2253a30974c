import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assignmentChange, flatten } from '../../../src/kafka/reading/assignment.js';

const at = (topic: string, partition: number) => ({ topic, partition });

describe('partition assignment changes', () => {
  test('the client’s grouped view is flattened and sorted', () => {
    assert.deepEqual(
      flatten([
        { topic: 'spi', partitions: [4, 0] },
        { topic: 'other', partitions: [1] },
      ]),
      [at('other', 1), at('spi', 0), at('spi', 4)],
    );
    assert.deepEqual(flatten(null), []);
  });

  test('an incremental move: only the partitions that changed hands are added or revoked', () => {
    const before = flatten([{ topic: 'spi', partitions: [0, 1, 2, 3, 4, 5] }]);
    const after = flatten([{ topic: 'spi', partitions: [0, 1] }]);
    assert.deepEqual(assignmentChange(before, after), {
      added: [],
      revoked: [at('spi', 2), at('spi', 3), at('spi', 4), at('spi', 5)],
    });
    assert.deepEqual(assignmentChange(after, before), {
      added: [at('spi', 2), at('spi', 3), at('spi', 4), at('spi', 5)],
      revoked: [],
    });
  });

  test('the same partition number of another topic is another partition', () => {
    assert.deepEqual(assignmentChange([at('a', 0)], [at('b', 0)]), {
      added: [at('b', 0)],
      revoked: [at('a', 0)],
    });
  });

  test('an unchanged assignment is no change', () => {
    const same = [at('spi', 1), at('spi', 3)];
    assert.deepEqual(assignmentChange(same, [...same]), { added: [], revoked: [] });
  });
});
