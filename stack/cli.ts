#!/usr/bin/env node
// The local stack from the command line:
//   up [components]             start, print the endpoints, stop on Ctrl-C, SIGTERM or SIGHUP
//   run [components] -- cmd …   start, run cmd with AKI_STACK set, stop, exit with cmd's code
// components: a comma list of kafka, elasticsearch, opensearch (default: all three)
import { spawn } from 'node:child_process';
import { allComponents, LocalStack, stackEnvVar, type Component } from './stack.js';

function parseComponents(arg: string | undefined): Component[] {
  if (arg === undefined || arg === '' || arg === '--') return [...allComponents];
  const names = arg.split(',');
  const unknown = names.filter((n) => !allComponents.includes(n as Component));
  if (unknown.length > 0) throw new Error(`unknown stack component(s): ${unknown.join(', ')}`);
  return names as Component[];
}

const log = (line: string): void => console.error(`[stack] ${line}`);

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const separator = rest.indexOf('--');
  const components = parseComponents(separator === 0 ? undefined : rest[0]);
  if (verb !== 'up' && verb !== 'run') {
    console.error('usage: cli.js up [components] | run [components] -- command [args…]');
    return 2;
  }
  const stack = await LocalStack.start({ components, log });
  const stopOnSignal = new Promise<number>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => resolve(130));
  });
  try {
    if (verb === 'up') {
      console.log(JSON.stringify(stack.endpoints, null, 2));
      log('ready; press Ctrl-C to stop');
      // The servers' handles are unreferenced (a finished `run` must not wait on them): hold the
      // event loop open until a signal, or the process would exit, and stop the stack, right here.
      const keepAlive = setInterval(() => undefined, 60_000);
      return await stopOnSignal.finally(() => clearInterval(keepAlive));
    }
    const [command, ...args] = separator === -1 ? [] : rest.slice(separator + 1);
    if (command === undefined) throw new Error('run needs a command after --');
    const child = spawn(command, args, {
      stdio: 'inherit',
      env: { ...process.env, [stackEnvVar]: JSON.stringify(stack.endpoints) },
    });
    const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
    return await Promise.race([exited, stopOnSignal.then((code) => (child.kill('SIGTERM'), code))]);
  } finally {
    log('stopping');
    await stack.stop();
    log(`stopped; logs kept in ${stack.dir}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[stack] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
