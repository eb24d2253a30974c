import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Leases } from '../../../src/kafka/reading/leases.js';

describe('Leases', () => {
  test('a partition keeps its lease while held, and gets a new one after a release', () => {
    const leases = new Leases();
    const first = leases.claim('t', 0, 'id-1');
    assert.equal(leases.claim('t', 0, 'id-1'), first);
    leases.release([{ topic: 't', partition: 0 }]);
    assert.equal(first.ended, true);
    assert.equal(leases.of('t', 0), undefined);
    const second = leases.claim('t', 0, 'id-1');
    assert.notEqual(second, first);
    assert.equal(second.ended, false);
  });

  test("a topic seen with another id ends the earlier life's leases, and says which id it had", () => {
    const leases = new Leases();
    assert.equal(leases.observe('t', 'id-1'), undefined, 'first sight');
    const p0 = leases.claim('t', 0, 'id-1');
    const other = leases.claim('u', 0, 'id-9');
    assert.equal(leases.observe('t', 'id-1'), undefined, 'the same life');
    assert.equal(leases.observe('t', 'id-2'), 'id-1');
    assert.equal(p0.ended, true);
    assert.equal(other.ended, false, "another topic's lease is untouched");
    assert.equal(leases.claim('t', 0, 'id-2').topicId, 'id-2');
    assert.equal(leases.topicId('t'), 'id-2');
  });

  test('one partition ended (a truncated log) begins afresh on its next claim', () => {
    const leases = new Leases();
    const p0 = leases.claim('t', 0, 'id-1');
    const p1 = leases.claim('t', 1, 'id-1');
    leases.end('t', 0);
    assert.equal(p0.ended, true);
    assert.equal(p1.ended, false);
    assert.notEqual(leases.claim('t', 0, 'id-1'), p0);
  });
});
