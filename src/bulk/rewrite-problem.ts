// Whether JSON text comes out the same once parsed and written anew. A `doc` message is written
// anew, and so is an action line given a derived id: what JSON.parse and JSON.stringify would
// change or cannot do is refused first, so that a message is either sent as meant or refused.

const quote = 0x22;
const closeBrace = 0x7d;

/**
 * Jackson's default nesting limit, which Elasticsearch and OpenSearch parse JSON with: the cluster
 * refuses anything deeper anyway. Writing such a value anew (a `doc` message, a derived id) would
 * exhaust the stack and throw out of the pipeline, on the same message after every restart.
 */
const maxNestingDepth = 1000;

/** Where the number literal starting at `at` of valid JSON text ends: at the first other character. */
function numberEnd(json: string, at: number): number {
  let end = at + 1;
  for (; end < json.length; end += 1) {
    const c = json.charCodeAt(end);
    const digit = c >= 0x30 && c <= 0x39;
    if (!digit && c !== 0x2e && c !== 0x65 && c !== 0x45 && c !== 0x2b && c !== 0x2d) break;
  }
  return end;
}

/**
 * Why valid JSON text would not come out the same once parsed and written anew, as a `doc`
 * message and a line given a derived id are: nested too deeply to write, or (if `numbers`) a
 * number that a double cannot hold (1e400 would become null, 2^53+1 another integer). Undefined
 * if it would.
 */
export function rewriteProblem(json: string, numbers: boolean): string | undefined {
  let depth = 0;
  let inString = false;
  for (let at = 0; at < json.length; at += 1) {
    const c = json.charCodeAt(at);
    if (inString) {
      if (c === 0x5c) at += 1;
      else if (c === quote) inString = false;
    } else if (c === quote) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > maxNestingDepth) return `nested deeper than ${maxNestingDepth} levels`;
    } else if (c === closeBrace || c === 0x5d) depth -= 1;
    else if (numbers && (c === 0x2d || (c >= 0x30 && c <= 0x39))) {
      const end = numberEnd(json, at);
      const literal = json.slice(at, end);
      const number = Number(literal);
      if (!Number.isFinite(number)) return `the number ${literal} is beyond the range of a double`;
      if (Number.isInteger(number) && !Number.isSafeInteger(number) && /^-?\d+$/.test(literal)) {
        return `the integer ${literal} is above 2^53 - 1, where doubles start rounding`;
      }
      at = end - 1;
    }
  }
  return undefined;
}
