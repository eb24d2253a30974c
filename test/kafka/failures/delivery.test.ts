// Delivery of failed documents: logged each, then retried onto the failure topic until it takes
// them, given up only for an error no retry fixes. The waits are injected: no real sleeps.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KafkaConnectionError } from '../../../src/kafka/connection.js';
import { failureDelivery } from '../../../src/kafka/failures/delivery.js';
import type { FailedDocument } from '../../../src/records.js';
import { backoff } from '../../../src/retry.js';
import { capturedLogger } from '../../helpers/log-lines.js';
import { refusedDocument } from './refused.js';

function failedDocument(offset: bigint): FailedDocument {
  return refusedDocument({ id: `id-${offset}`, source: { topic: 'spi', topicId: '', partition: 2, offset } });
}

/** A producer that fails with `errors` in turn, then takes everything; records each try. */
function producer(...errors: Error[]): { send: (f: FailedDocument[]) => Promise<void>; tries: number } {
  const state = {
    tries: 0,
    send: (): Promise<void> => {
      state.tries += 1;
      const error = errors.shift();
      return error === undefined ? Promise.resolve() : Promise.reject(error);
    },
  };
  return state;
}

describe('failureDelivery', () => {
  const documents = [failedDocument(7n), failedDocument(8n)];

  test('logs each failed document, and with no failure topic only logs', async () => {
    const { logger, lines } = capturedLogger();
    const fatal: unknown[] = [];
    const deliver = failureDelivery({ producer: undefined, logger, onFatal: (e) => fatal.push(e) });
    await deliver(documents, new AbortController().signal);
    assert.deepEqual(
      lines.map((l) => [l['msg'], l['id'], l['source'], l['errorType'], l['status'], l['level']]),
      [
        ['document failed to index', 'id-7', 'spi/2/7', 'mapper_parsing_exception', 400, 40],
        ['document failed to index', 'id-8', 'spi/2/8', 'mapper_parsing_exception', 400, 40],
      ],
    );
    assert.deepEqual(fatal, []);
  });

  test('retries until the topic takes them, waiting the failure-delivery backoff each time', async () => {
    const { logger, lines } = capturedLogger();
    const kafka = producer(new Error('Connection closed'), new Error('Request timed out'));
    const waits: number[] = [];
    const deliver = failureDelivery({
      producer: kafka,
      logger,
      onFatal: () => assert.fail('a broker away is no reason to stop'),
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    await deliver(documents, new AbortController().signal);
    assert.equal(kafka.tries, 3);
    // Jittered: between half and all of 1 s, then of 2 s.
    assert.equal(waits.length, 2);
    assert.ok(waits[0]! >= backoff.failureDelivery.baseMs / 2 && waits[0]! <= backoff.failureDelivery.baseMs);
    assert.ok(waits[1]! >= backoff.failureDelivery.baseMs && waits[1]! <= 2 * backoff.failureDelivery.baseMs);
    const retries = lines.filter((l) => l['msg'] === 'producing failed documents failed; retrying');
    assert.deepEqual(
      retries.map((l) => [
        l['attempt'],
        l['documents'],
        (l['err'] as { message: string }).message,
        l['level'],
      ]),
      [
        [0, 2, 'Connection closed', 50],
        [1, 2, 'Request timed out', 50],
      ],
    );
  });

  test('a refusal no retry fixes: told once, rejected, not tried again', async () => {
    const { logger } = capturedLogger();
    const refused = new KafkaConnectionError('Kafka failure producer cannot connect to kafka:9093: …');
    const kafka = producer(new Error('Connection closed'), refused);
    const fatal: unknown[] = [];
    const deliver = failureDelivery({
      producer: kafka,
      logger,
      onFatal: (e) => fatal.push(e),
      sleep: () => Promise.resolve(),
    });
    await assert.rejects(deliver(documents, new AbortController().signal), refused);
    assert.equal(kafka.tries, 2);
    assert.deepEqual(fatal, [refused]);
  });

  test('aborting abandons: no try once aborted, and a wait ends without another try', async () => {
    const { logger } = capturedLogger();
    const onFatal = (): void => assert.fail('abandoning is no failure');
    const before = producer();
    const aborted = AbortSignal.abort();
    await failureDelivery({ producer: before, logger, onFatal })(documents, aborted);
    assert.equal(before.tries, 0);

    const during = producer(new Error('Connection closed'), new Error('Connection closed'));
    const controller = new AbortController();
    const deliver = failureDelivery({
      producer: during,
      logger,
      onFatal,
      // Shutdown comes while the delivery waits.
      sleep: (_ms, signal) => {
        controller.abort();
        return signal?.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve();
      },
    });
    await deliver(documents, controller.signal);
    assert.equal(during.tries, 1);
  });
});
