import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PassThrough } from 'node:stream';
import { readAhead } from '../../src/kafka/read-ahead.js';

interface Message {
  offset: number;
  value: Buffer;
}

const message = (offset: number, size: number): Message => ({ offset, value: Buffer.alloc(size) });

/** An object stream that records when it is paused and resumed, as the Kafka client's stream is. */
function source(): PassThrough & { calls: string[] } {
  const stream = new PassThrough({ objectMode: true }) as PassThrough & { calls: string[] };
  stream.calls = [];
  const [pause, resume] = [stream.pause.bind(stream), stream.resume.bind(stream)];
  stream.pause = () => (stream.calls.push('pause'), pause());
  stream.resume = () => (stream.calls.push('resume'), resume());
  return stream;
}

describe('reading Kafka messages ahead by bytes', () => {
  test('hands out every message in order, and ends when the stream ends', async () => {
    const stream = source();
    const read = readAhead<Message>(stream, { bytes: 1000, messages: 2 });
    for (let offset = 0; offset < 50; offset += 1) stream.write(message(offset, 10));
    stream.end();
    const offsets: number[] = [];
    for await (const m of read) offsets.push(m.offset);
    assert.deepEqual(
      offsets,
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  test('pauses the stream above the byte budget, resumes it once half is used', async () => {
    const stream = source();
    const read = readAhead<Message>(stream, { bytes: 300, messages: 2 });
    const first = read.next(); // starts the generator: it now listens and the stream flows
    for (let offset = 0; offset < 4; offset += 1) stream.write(message(offset, 100));
    assert.equal((await first).value?.offset, 0);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(stream.calls.filter((c) => c === 'pause').length, 1, 'paused at 300 bytes queued');
    assert.equal((await read.next()).value?.offset, 1);
    assert.ok(stream.calls.includes('resume'), 'resumed with 100 bytes left, below half of 300');
    stream.end();
    const rest: number[] = [];
    for await (const m of read) rest.push(m.offset);
    assert.deepEqual(rest, [2, 3]);
  });

  test('a small budget still reads ahead the given number of messages', async () => {
    const stream = source();
    const read = readAhead<Message>(stream, { bytes: 1, messages: 3 });
    const first = read.next();
    for (let offset = 0; offset < 3; offset += 1) stream.write(message(offset, 100));
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stream.calls.filter((c) => c === 'pause').length, 1, 'paused only at 3 messages');
    stream.end();
    for await (const m of read) void m;
  });

  test('hands out what was queued before throwing the stream error', async () => {
    const stream = source();
    const read = readAhead<Message>(stream, { bytes: 1000, messages: 2 });
    const first = read.next();
    stream.write(message(0, 10));
    stream.write(message(1, 10));
    await first;
    stream.destroy(new Error('broker went away'));
    assert.equal((await read.next()).value?.offset, 1);
    await assert.rejects(read.next(), /broker went away/);
  });

  test('leaving early pauses the stream', async () => {
    const stream = source();
    const read = readAhead<Message>(stream, { bytes: 1000, messages: 2 });
    const first = read.next();
    stream.write(message(0, 10));
    await first;
    await read.return();
    assert.equal(stream.calls.at(-1), 'pause');
    assert.equal(stream.listenerCount('data'), 0);
  });
});
