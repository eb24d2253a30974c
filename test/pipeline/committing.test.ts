// The commit stage marks as committed only what the consumer says it sent: a position left out
// (its partition not owned while the group rebalanced) is committed at the next interval.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Committing } from '../../src/pipeline/committing.js';
import { OffsetTracker } from '../../src/pipeline/offsets.js';
import type { CommitPosition } from '../../src/records.js';
import { bulk1, ManualClock, testLog } from './fakes.js';

describe('Committing', () => {
  test('a position the consumer left out is committed again at the next commit; one it sent is not', async () => {
    const offsets = new OffsetTracker();
    for (const partition of [0, 1]) {
      const message = bulk1(4, { partition });
      offsets.received(message);
      offsets.completed(message);
    }
    const sent: string[][] = [];
    let owned = new Set([0]);
    const committing = new Committing({
      offsets,
      commit: (positions: CommitPosition[]) => {
        const taken = positions.filter((p) => owned.has(p.partition));
        sent.push(taken.map((p) => `${p.partition}:${p.offset}`));
        return Promise.resolve(taken);
      },
      clock: new ManualClock(),
      logger: testLog().logger,
    });
    await committing.commit();
    owned = new Set([0, 1]);
    await committing.commit();
    await committing.commit();
    assert.deepEqual(sent, [['0:5'], ['1:5']]);
  });
});
