import { pino, type Logger } from 'pino';
import type { Config, logLevels } from '../config/schema.js';

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

/** Secrets shorter than this are not blanked out: it would garble every line they are a part of. */
const shortestBlanked = 6;

/**
 * Replaces every secret, as it is and as JSON escapes it, by ***. Nothing should log a secret in
 * the first place; this is the line of defence for what a dependency puts in an error's message.
 */
export function blankOut(secrets: readonly string[]): ((line: string) => string) | undefined {
  const forms = [
    ...new Set(
      secrets.filter((s) => s.length >= shortestBlanked).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]),
    ),
  ];
  if (forms.length === 0) return undefined;
  return (line) =>
    forms.reduce((text, secret) => (text.includes(secret) ? text.replaceAll(secret, '***') : text), line);
}

/**
 * JSON lines on stdout, one child logger per component; `secrets` never appear in them. `tap`
 * sees every line as written, secrets blanked (the status page's recent errors).
 */
export function createLogger(
  level: (typeof logLevels)[number],
  destination?: pino.DestinationStream,
  secrets: readonly string[] = [],
  tap?: (line: string) => void,
): Logger {
  const streamWrite = blankOut(secrets);
  const stream = destination ?? pino.destination({ fd: 1, sync: true });
  return pino(
    {
      level: levels[level],
      base: { service: 'arkime-kafka-indexer' },
      timestamp: pino.stdTimeFunctions.isoTime,
      ...(streamWrite && { hooks: { streamWrite } }),
    },
    tap === undefined
      ? stream
      : {
          write: (line: string) => {
            stream.write(line);
            tap(line);
          },
        },
  );
}

/** Standard error, for commands whose standard output is their report (`replay`). */
export function standardError(): pino.DestinationStream {
  return pino.destination({ fd: 2, sync: true });
}

export type StartingConfig = Pick<
  Config,
  | 'kafkaConsumerBrokers'
  | 'kafkaConsumerTopic'
  | 'kafkaConsumerGroupName'
  | 'elasticAllowedIndices'
  | 'elasticAllowedActions'
>;

/** The first line: where messages come from, where they go (nodes and how it authenticates), what is let through. */
export function logStarting(
  logger: Logger,
  config: StartingConfig,
  search: { nodes: string[]; auth: string },
): void {
  logger.info(
    {
      brokers: config.kafkaConsumerBrokers,
      topic: config.kafkaConsumerTopic,
      group: config.kafkaConsumerGroupName,
      search: search.nodes,
      auth: search.auth,
      allowedIndices: config.elasticAllowedIndices,
      allowedActions: config.elasticAllowedActions,
    },
    'starting',
  );
}

export type { Logger };
