// The process's signals, owned here for the service (main.ts) and `replay` (replay/run.ts): the
// only place that listens to them. The first SIGINT or SIGTERM asks for a stop, and the caller
// says what stopping means; from then on neither is caught, so a second one ends the process at
// once (Node's default: an operator who presses Ctrl-C again does not want to wait). A stop that
// outlasts its deadline is told and ends the process with exit code 1. SIGHUP, for those that
// want it, is caught every time.

export type StopSignal = 'SIGINT' | 'SIGTERM';
const stopSignals: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/** What signals are listened on, and how the process ends: `process` itself, but for tests. */
export interface SignalTarget {
  on(signal: StopSignal | 'SIGHUP', listener: () => void): unknown;
  off(signal: StopSignal | 'SIGHUP', listener: () => void): unknown;
  exit(code: number): void;
}

export interface SignalHandlers {
  /** Called once, on the first SIGINT or SIGTERM. */
  stop: (signal: StopSignal) => void;
  /** After a stop signal, how long the stop may take before `overdue` is told and the process ends (code 1). */
  deadline?: { ms: number; overdue: () => void };
  /** Called on every SIGHUP; without it, SIGHUP is not caught. */
  hangUp?: () => void;
  /** Runs the deadline and returns what cancels it; the default is a timer that does not keep the process alive. */
  schedule?: (run: () => void, ms: number) => () => void;
}

function timer(run: () => void, ms: number): () => void {
  const timeout = setTimeout(run, ms);
  timeout.unref();
  return () => clearTimeout(timeout);
}

/**
 * Listens to the signals until the returned function is called, once the caller has stopped:
 * then none is caught and the deadline, if running, no longer applies.
 */
export function handleSignals(handlers: SignalHandlers, target: SignalTarget = process): () => void {
  const { stop, deadline, hangUp, schedule = timer } = handlers;
  const listeners = new Map<StopSignal, () => void>();
  let cancelDeadline = (): void => undefined;
  const release = (): void => {
    for (const [signal, listener] of listeners) target.off(signal, listener);
    listeners.clear();
  };
  for (const signal of stopSignals) {
    const listener = (): void => {
      release();
      if (deadline !== undefined) {
        cancelDeadline = schedule(() => {
          deadline.overdue();
          target.exit(1);
        }, deadline.ms);
      }
      stop(signal);
    };
    listeners.set(signal, listener);
    target.on(signal, listener);
  }
  if (hangUp !== undefined) target.on('SIGHUP', hangUp);
  return () => {
    release();
    cancelDeadline();
    if (hangUp !== undefined) target.off('SIGHUP', hangUp);
  };
}
