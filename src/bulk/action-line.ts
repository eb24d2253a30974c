// An action line of any shape the `_bulk` API takes, read through JSON.parse: the general way,
// for lines that are not of the shape Arkime writes (arkime-action.ts reads those, faster).
import type { BulkAction } from './items.js';
import { rewriteProblem } from './rewrite-problem.js';

export interface ActionLine {
  action: BulkAction;
  index: string | undefined;
  id: string | undefined;
}

const actionStart = /^\s*\{\s*"(index|create|update|delete)"\s*:\s*\{/;

/** Parses a line that claims to be an action; undefined when it is not a well-formed one. */
function parseAction(line: string): ActionLine | undefined {
  const claimed = actionStart.exec(line);
  if (claimed === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  // derived-ids.ts may write the line anew. Its numbers are not checked: an _id above 2^53 is
  // common (snowflake ids), the cluster takes it, and a line with an _id is never written anew.
  if (rewriteProblem(line, false) !== undefined) return undefined;
  const keys = Object.keys(parsed);
  const action = claimed[1] as BulkAction;
  const meta = (parsed as Record<string, unknown>)[action];
  if (keys.length !== 1 || typeof meta !== 'object' || meta === null || Array.isArray(meta)) return undefined;
  const { _index: index, _id: id } = meta as Record<string, unknown>;
  return {
    action,
    index: typeof index === 'string' ? index : undefined,
    id: typeof id === 'string' || typeof id === 'number' ? String(id) : undefined,
  };
}

/** The action line between `start` and `end` of `value`, through JSON.parse; undefined when it is not one. */
export function generalAction(value: Buffer, start: number, end: number): ActionLine | undefined {
  return parseAction(value.toString('utf8', start, end));
}
