// Reads Kafka messages ahead of the pipeline by bytes, not only by count, and hands them over in
// chunks. The client fetches again only while its stream holds fewer messages than its
// high-water mark: ten 500 KB messages are plenty to work on while the next fetch travels, but
// ten one-document messages are gone at once, and the pipeline would then wait for every fetch.
// Here the stream flows into a queue that may hold `bytes` (and at least `messages` messages);
// fetching pauses above that. The pipeline takes the whole queue at once, which resumes fetching
// before it starts working: the next fetch travels while it works through what it took.
// One hand-over per chunk instead of per message also spares two promises per message.
import type { EventEmitter } from 'node:events';

export interface ReadAheadLimits {
  /** Pause fetching once this many message bytes are queued… */
  bytes: number;
  /** …and at least this many messages. */
  messages: number;
}

/** What is needed of a message stream: a flowing Readable with pause/resume (the client's MessagesStream). */
export type MessageSource = EventEmitter & { pause(): unknown; resume(): unknown };

/**
 * The messages of `source`, in order, in chunks of whatever was queued when the pipeline asked,
 * each message passed through `take` as it arrives (so that what the client attached to it and
 * the pipeline does not need is dropped young, not kept while it waits). Messages already queued
 * are handed out before an error of the stream is thrown. Leaving the loop early pauses the
 * stream (what is not handed out stays uncommitted, so it is read again).
 */
export async function* readAhead<R, T extends { value: Buffer | null | undefined }>(
  source: MessageSource,
  limits: ReadAheadLimits,
  take: (raw: R) => T,
): AsyncGenerator<T[], void, undefined> {
  let queue: T[] = [];
  let bytes = 0;
  let paused = false;
  let ended = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;

  const onData = (raw: R): void => {
    const message = take(raw);
    queue.push(message);
    bytes += message.value?.length ?? 0;
    if (!paused && bytes >= limits.bytes && queue.length >= limits.messages) {
      paused = true;
      source.pause();
    }
    wake?.();
  };
  const onEnd = (): void => {
    ended = true;
    wake?.();
  };
  const onError = (error: unknown): void => {
    failure ??= { error };
    wake?.();
  };
  source.on('data', onData);
  source.on('end', onEnd);
  source.on('close', onEnd);
  source.on('error', onError);
  try {
    for (;;) {
      if (queue.length > 0) {
        const chunk = queue;
        queue = [];
        bytes = 0;
        if (paused) {
          paused = false;
          source.resume();
          // The client sends its next fetch from a process.nextTick, which would wait until the
          // pipeline's promise chain had worked through the whole chunk: fetching and working
          // would take turns. One turn of the event loop lets the fetch leave first.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        yield chunk;
        continue;
      }
      if (failure !== undefined) throw failure.error;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    source.off('data', onData);
    source.off('end', onEnd);
    source.off('close', onEnd);
    source.off('error', onError);
    if (!ended && failure === undefined) source.pause();
  }
}
