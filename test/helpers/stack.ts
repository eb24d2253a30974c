import { endpointsFromEnv, LocalStack, type Component, type StackEndpoints } from '../../stack/stack.js';

/**
 * The stack for an integration test file: the one `npm test` started for the whole run (AKI_STACK),
 * or, when the file is run alone, a stack of its own that ends with the test process.
 */
export async function useStack(...components: Component[]): Promise<StackEndpoints> {
  const shared = endpointsFromEnv();
  if (shared !== undefined) {
    const missing = components.filter((c) => shared[c] === undefined);
    if (missing.length === 0) return shared;
  }
  // Not stopped by an `after` hook: called from a `before` hook, node:test would run that at once.
  // The servers do not keep the test process alive, and are killed when it exits.
  const stack = await LocalStack.start({ components });
  return stack.endpoints;
}

export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the stack has no ${what}`);
  return value;
}
