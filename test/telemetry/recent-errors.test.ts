import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createLogger } from '../../src/telemetry/logger.js';
import { RecentErrors } from '../../src/telemetry/recent-errors.js';

const sink = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });

describe('RecentErrors, fed by the logger', () => {
  test('keeps warnings and errors only, one entry per kind, counting repeats, newest first', () => {
    const errors = new RecentErrors();
    const logger = createLogger('trace', sink(), [], errors.tap).child({ component: 'failures' });
    logger.info('started');
    logger.debug({ err: new Error('noise') }, 'debug line');
    for (const offset of [1, 2, 3])
      logger.warn(
        { errorType: 'mapper_parsing_exception', reason: `field [firstPacket] at ${offset}` },
        'document failed to index',
      );
    logger.warn({ errorType: 'illegal_argument_exception', reason: 'limit' }, 'document failed to index');
    logger.error(
      { err: Object.assign(new Error('broker gone'), { code: 'ECONNREFUSED' }) },
      'producing failed',
    );

    const list = errors.list();
    assert.deepEqual(
      list.map((e) => [e.level, e.component, e.message, e.type, e.count, e.detail]),
      [
        ['error', 'failures', 'producing failed', 'ECONNREFUSED', 1, 'broker gone'],
        ['warn', 'failures', 'document failed to index', 'illegal_argument_exception', 1, 'limit'],
        // The latest occurrence's detail.
        [
          'warn',
          'failures',
          'document failed to index',
          'mapper_parsing_exception',
          3,
          'field [firstPacket] at 3',
        ],
      ],
    );
    assert.ok(list[2]!.firstSeen <= list[2]!.lastSeen);
  });

  test('is bounded: the least recently seen kind leaves first, a repeat keeps its kind in', () => {
    const errors = new RecentErrors(3);
    const logger = createLogger('trace', sink(), [], errors.tap);
    logger.error('a');
    logger.error('b');
    logger.error('c');
    logger.error('a'); // seen again: now the most recent
    logger.error('d'); // pushes b out
    assert.deepEqual(
      errors.list().map((e) => `${e.message}×${e.count}`),
      ['d×1', 'a×2', 'c×1'],
    );
  });

  test('sees lines after the logger blanked the secrets out, and cuts long details', () => {
    const errors = new RecentErrors();
    const logger = createLogger('trace', sink(), ['hunter2-secret'], errors.tap);
    logger.error({ err: new Error(`401 for elastic:hunter2-secret ${'x'.repeat(1000)}`) }, 'bulk refused');
    const [entry] = errors.list();
    assert.equal(entry?.detail.startsWith('401 for elastic:*** xxx'), true);
    assert.equal(entry?.detail.length, 300);
    assert.ok(!JSON.stringify(errors.list()).includes('hunter2'));
  });
});

describe('RecentErrors: field values quoted by the cluster', () => {
  const reason =
    "failed to parse field [source.ip] of type [ip] in document with id 'a1'. Preview of field's value: '10.1.2.3x' (caused by illegal_argument_exception: '10.1.2.3x' is not an IP string literal.)";

  test('are cut from the detail and the message by default; the log line keeps them', () => {
    const errors = new RecentErrors();
    const written: string[] = [];
    const stream = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        written.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('info', stream, [], errors.tap);
    logger.warn({ errorType: 'mapper_parsing_exception', reason }, 'document failed to index');
    logger.error(
      { err: new Error(`bulk failed: ${reason}`) },
      `giving up: Preview of field's value: 'host.example'`,
    );
    const [failed, bulk] = errors.list().reverse();
    assert.equal(
      failed?.detail,
      "failed to parse field [source.ip] of type [ip] in document with id 'a1'. Preview of field's value: (hidden) (caused by illegal_argument_exception: (hidden) is not an IP string literal.)",
    );
    assert.equal(bulk?.message, "giving up: Preview of field's value: (hidden)");
    assert.ok(!JSON.stringify(errors.list()).includes('10.1.2.3x'));
    assert.ok(written.join('').includes('10.1.2.3x'));
  });

  test('a value that changes does not make a new entry', () => {
    const errors = new RecentErrors();
    const logger = createLogger('info', sink(), [], errors.tap);
    for (const value of ['a', 'b', 'c']) logger.error(`Preview of field's value: '${value}'`);
    assert.deepEqual(
      errors.list().map((e) => [e.message, e.count]),
      [["Preview of field's value: (hidden)", 3]],
    );
  });

  test('are kept with STATUS_SHOW_FIELD_VALUES', () => {
    const errors = new RecentErrors(8, true);
    const logger = createLogger('info', sink(), [], errors.tap);
    logger.warn({ errorType: 'mapper_parsing_exception', reason }, 'document failed to index');
    assert.equal(errors.list()[0]?.detail, reason);
  });
});
