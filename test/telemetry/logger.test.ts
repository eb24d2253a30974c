import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createLogger } from '../../src/telemetry/logger.js';

function captured(secrets: string[]): { text: () => string; logger: ReturnType<typeof createLogger> } {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { text: () => text, logger: createLogger('trace', destination, secrets) };
}

describe('createLogger with secrets', () => {
  test('a secret in a message, a field or an error is written as ***, escaped forms too', () => {
    const secrets = ['hunter2-secret', 'pa"ss\\word-x'];
    const { text, logger } = captured(secrets);
    logger.info({ header: 'Basic hunter2-secret' }, 'sent hunter2-secret');
    logger.error({ err: new Error('failed with pa"ss\\word-x') }, 'boom');
    assert.ok(!text().includes('hunter2-secret'));
    assert.ok(!text().includes(JSON.stringify('pa"ss\\word-x').slice(1, -1)));
    // The header, the message, and the error's message and stack.
    assert.equal(text().split('***').length - 1, 4);
    for (const line of text().trim().split('\n')) JSON.parse(line); // still JSON
  });

  test('secrets too short to blank out safely are left alone (they would garble every line)', () => {
    const { text, logger } = captured(['ab']);
    logger.info('about abc');
    assert.match(text(), /about abc/);
  });
});
