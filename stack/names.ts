import { randomUUID } from 'node:crypto';

/** A name no other test uses, so tests sharing one stack never see each other's topics, groups or indices. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
