import { pino, type Logger } from 'pino';
import type { logLevels } from '../config/schema.js';

// The Go indexer's zerolog level names, mapped onto pino's.
const levels: Record<(typeof logLevels)[number], pino.LevelWithSilent> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
  panic: 'fatal',
  disabled: 'silent',
};

/** JSON lines on stdout, one child logger per component. */
export function createLogger(
  level: (typeof logLevels)[number],
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      level: levels[level],
      base: { service: 'arkime-kafka-indexer' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

export type { Logger };
