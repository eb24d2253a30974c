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

const same = (m: Message): Message => m;
/** The offsets of a chunk handed out, or of the next one (undefined once the read-ahead has ended). */
const offsetsOf = (result: IteratorResult<Message[], void>): number[] | undefined =>
  result.value?.map((m) => m.offset);
const nextOffsets = async (read: AsyncGenerator<Message[], void>): Promise<number[] | undefined> =>
  offsetsOf(await read.next());
const settle = (): Promise<unknown> => new Promise((resolve) => setImmediate(resolve));

describe('reading Kafka messages ahead by bytes', () => {
  test('hands out every message in order, in chunks, and ends when the stream ends', async () => {
    const stream = source();
    const read = readAhead(stream, { bytes: 1000, messages: 2 }, same);
    for (let offset = 0; offset < 50; offset += 1) stream.write(message(offset, 10));
    stream.end();
    const offsets: number[] = [];
    for await (const chunk of read) offsets.push(...chunk.map((m) => m.offset));
    assert.deepEqual(
      offsets,
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  test('a chunk is everything queued when the pipeline asks', async () => {
    const stream = source();
    const read = readAhead(stream, { bytes: 10_000, messages: 2 }, same);
    const first = read.next(); // starts the generator: it now listens and the stream flows
    stream.write(message(0, 10));
    assert.deepEqual(offsetsOf(await first), [0]);
    for (let offset = 1; offset < 6; offset += 1) stream.write(message(offset, 10));
    await settle();
    assert.deepEqual(await nextOffsets(read), [1, 2, 3, 4, 5]);
    stream.end();
    assert.equal((await read.next()).done, true);
  });

  test('passes each message through take as it arrives', async () => {
    const stream = source();
    const read = readAhead(stream, { bytes: 1000, messages: 2 }, (m: Message) => ({
      value: m.value,
      doubled: m.offset * 2,
    }));
    for (let offset = 0; offset < 3; offset += 1) stream.write(message(offset, 10));
    stream.end();
    const seen: number[] = [];
    for await (const chunk of read) seen.push(...chunk.map((m) => m.doubled));
    assert.deepEqual(seen, [0, 2, 4]);
  });

  test('pauses the stream above the byte budget, resumes it when the pipeline takes the queue', async () => {
    const stream = source();
    const read = readAhead(stream, { bytes: 300, messages: 2 }, same);
    const first = read.next();
    stream.write(message(0, 100));
    assert.deepEqual(offsetsOf(await first), [0]);
    const before = stream.calls.length; // attaching the 'data' listener resumed it once
    for (let offset = 1; offset < 5; offset += 1) stream.write(message(offset, 100));
    await settle();
    assert.deepEqual(stream.calls.slice(before), ['pause'], 'paused at 300 bytes queued, not resumed');
    assert.deepEqual(
      await nextOffsets(read),
      [1, 2, 3], // the fourth waits in the paused stream
    );
    assert.deepEqual(stream.calls.slice(before), ['pause', 'resume'], 'resumed as the queue was taken');
    await settle();
    stream.end();
    assert.deepEqual(await nextOffsets(read), [4]);
    assert.equal((await read.next()).done, true);
  });

  test('a small budget still reads ahead the given number of messages', async () => {
    const stream = source();
    const read = readAhead(stream, { bytes: 1, messages: 3 }, same);
    const first = read.next();
    stream.write(message(0, 100));
    await first;
    for (let offset = 1; offset < 4; offset += 1) {
      assert.equal(stream.calls.filter((c) => c === 'pause').length, 0, `not paused at ${offset - 1}`);
      stream.write(message(offset, 100));
      await settle();
    }
    assert.equal(stream.calls.filter((c) => c === 'pause').length, 1, 'paused only at 3 messages');
    stream.end();
    for await (const chunk of read) void chunk;
  });

  test('hands out what was queued before throwing the stream error', async () => {
    const stream = source();
    const read = readAhead(stream, { bytes: 1000, messages: 2 }, same);
    const first = read.next();
    stream.write(message(0, 10));
    await first;
    stream.write(message(1, 10));
    await settle();
    stream.destroy(new Error('broker went away'));
    assert.deepEqual(await nextOffsets(read), [1]);
    await assert.rejects(read.next(), /broker went away/);
  });

  test('leaving early pauses the stream', async () => {
    const stream = source();
    const read = readAhead(stream, { bytes: 1000, messages: 2 }, same);
    const first = read.next();
    stream.write(message(0, 10));
    await first;
    await read.return();
    assert.equal(stream.calls.at(-1), 'pause');
    assert.equal(stream.listenerCount('data'), 0);
  });
});
