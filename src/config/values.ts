// Parsers for the value syntaxes of the Go indexer's environment variables (kelseyhightower/envconfig):
// Go durations, integers with `_` separators, booleans as Go's strconv.ParseBool reads them, comma lists.
// Each returns the value or throws a ValueError saying what was expected.

export class ValueError extends Error {}

const durationUnits: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration ("10s", "6000ms", "1h", "1m30s", "1.5h", "0") in milliseconds. */
export function parseDuration(text: string): number {
  const value = text.trim().replace(/^\+/, '');
  if (value === '0') return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < value.length) {
    part.lastIndex = at;
    const match = part.exec(value);
    if (match === null) break;
    total += Number(match[1]) * (durationUnits[match[2] ?? ''] ?? Number.NaN);
    at = part.lastIndex;
  }
  if (value === '' || at !== value.length || !Number.isFinite(total)) {
    throw new ValueError('a duration such as 500ms, 10s, 1m30s or 1h');
  }
  return total;
}

/**
 * An integer as Go's strconv.ParseInt(text, 0, 64) reads it, which the Go indexer uses: `_`
 * separators ("10_485_760"), and 0x, 0o, 0b or a leading 0 (octal) for other bases.
 */
export function parseInteger(text: string): number {
  const value = text.trim();
  const match =
    /^([+-]?)(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0(?:_?[0-7])+|\d+(?:_\d+)*)$/.exec(
      value,
    );
  if (match === null) throw new ValueError('a whole number such as 100 or 10_485_760');
  const [, sign, digits = ''] = match;
  const plain = digits.replaceAll('_', '');
  const number = /^0[0-7]/.test(plain) ? Number.parseInt(plain.slice(1), 8) : Number(plain);
  if (!Number.isSafeInteger(number)) throw new ValueError('a whole number below 2^53');
  return sign === '-' ? -number : number;
}

/** A number (integer or decimal, `_` separators allowed). */
export function parseNumber(text: string): number {
  const value = text.trim();
  if (!/^[+-]?(\d+(_\d+)*)(\.\d+)?([eE][+-]?\d+)?$/.test(value))
    throw new ValueError('a number such as 2 or 0.5');
  return Number(value.replaceAll('_', ''));
}

const truthy = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const falsy = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** A boolean as Go reads it: 1, t, T, true, TRUE, True and their false counterparts. */
export function parseBoolean(text: string): boolean {
  const value = text.trim();
  if (truthy.has(value)) return true;
  if (falsy.has(value)) return false;
  throw new ValueError('true or false');
}

/** A comma list; empty items are dropped, so "a,,b" and "a, b" both give two. */
export function parseList<T>(text: string, item: (part: string) => T): T[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => item(part));
}
