import { after } from 'node:test';
import { endpointsFromEnv, LocalStack, type Component, type StackEndpoints } from '../stack/stack.js';

/**
 * The stack for an integration test file: the one `npm test` started for the whole run (AKI_STACK),
 * or, when the file is run alone, a stack of its own that stops after the file's tests.
 */
export async function useStack(...components: Component[]): Promise<StackEndpoints> {
  const shared = endpointsFromEnv();
  if (shared !== undefined) {
    const missing = components.filter((c) => shared[c] === undefined);
    if (missing.length === 0) return shared;
  }
  const stack = await LocalStack.start({ components });
  after(() => stack.stop());
  return stack.endpoints;
}

export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the stack has no ${what}`);
  return value;
}
