import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kafkaClusterId } from '../../stack/kafka-broker.js';

test('a cluster id never starts with "-" (a command line would read it as an option), whatever the random bytes', () => {
  for (let first = 0; first < 256; first += 1) {
    const id = kafkaClusterId((size) => Buffer.alloc(size, first));
    assert.match(id, /^[A-Za-z][A-Za-z0-9_-]{21}$/, `first byte ${first}: ${id}`);
    assert.equal(Buffer.from(id, 'base64url').length, 16);
  }
});
