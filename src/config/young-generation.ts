// The size of V8's young generation, set from code. V8 lets each of its two semi-spaces grow to
// 16 MiB (32 MiB in all, two thirds of the heap at full speed) and never gives the room back,
// although the indexer's young objects (a fetch's records, a batch's bookkeeping) live for
// milliseconds. A smaller limit keeps peak RSS down at about the same CPU per document
// (docs/benchmarks.md, issue 17). V8 reads the limit only as the process starts, so the indexer
// restarts itself once, in place (`process.execve`: same process id, no second process), with
// the flag added, unless the operator gave it in NODE_OPTIONS or on the command line.

/** Each of the young generation's two semi-spaces at most this large. */
export const semiSpaceMiB = 4;

const flag = '--max-semi-space-size';

/**
 * The argument vector to restart with (execPath first), or undefined when the limit is already
 * set: by the operator (who may set any size), or by the restart itself.
 */
export function restartArguments(current: {
  execPath: string;
  execArgv: readonly string[];
  argv: readonly string[];
  nodeOptions: string | undefined;
}): string[] | undefined {
  const given = (arg: string): boolean => arg === flag || arg.startsWith(`${flag}=`);
  if (current.execArgv.some(given)) return undefined;
  if ((current.nodeOptions ?? '').split(/\s+/).some(given)) return undefined;
  return [current.execPath, `${flag}=${semiSpaceMiB}`, ...current.execArgv, ...current.argv.slice(1)];
}

/** Restarts this process with the young generation's limit unless it is set; returns otherwise. */
export function limitYoungGeneration(): void {
  const args = restartArguments({
    execPath: process.execPath,
    execArgv: process.execArgv,
    argv: process.argv,
    nodeOptions: process.env['NODE_OPTIONS'],
  });
  // process.execve is in Node.js ≥ 22.15; without it the indexer runs with V8's limit.
  if (args !== undefined && typeof process.execve === 'function') process.execve(process.execPath, args);
}
