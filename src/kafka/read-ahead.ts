// Reads Kafka messages ahead of the pipeline by bytes, not only by count. The client fetches again
// only while its stream holds fewer messages than its high-water mark: ten 500 KB messages are
// plenty to work on while the next fetch travels, but ten one-document messages are gone at once,
// and the pipeline would then wait for every fetch. Here the stream flows into a queue that may
// hold `bytes` (and at least `messages` messages); fetching pauses above that and resumes once
// half of it is used, so the next fetch is already on its way when the pipeline needs it.
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
 * The messages of `source`, in order. Messages already queued are handed out before an error of
 * the stream is thrown. Leaving the loop early pauses the stream (what is not handed out stays
 * uncommitted, so it is read again).
 */
export async function* readAhead<T extends { value: Buffer | null | undefined }>(
  source: MessageSource,
  limits: ReadAheadLimits,
): AsyncGenerator<T, void, undefined> {
  const queue: (T | undefined)[] = [];
  let head = 0;
  let bytes = 0;
  let paused = false;
  let ended = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;

  const onData = (message: T): void => {
    queue.push(message);
    bytes += message.value?.length ?? 0;
    if (!paused && bytes >= limits.bytes && queue.length - head >= limits.messages) {
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
      if (head < queue.length) {
        const message = queue[head] as T;
        queue[head] = undefined;
        head += 1;
        bytes -= message.value?.length ?? 0;
        if (head > 1024 && head * 2 > queue.length) {
          queue.splice(0, head);
          head = 0;
        }
        if (paused && (bytes < limits.bytes / 2 || queue.length - head < limits.messages)) {
          paused = false;
          source.resume();
        }
        yield message;
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
