// A logger whose JSON lines a test reads back, parsed, in the order they were written.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';

export function capturedLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('debug', destination), lines };
}
