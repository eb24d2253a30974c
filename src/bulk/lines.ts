// The lines of a message: where each one that is not blank starts and ends. Parsing reads them
// in pairs (action, document); rebuilding a body copies them one by one.

export const newline = 0x0a;

function isBlank(value: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at += 1) if (value[at] !== 0x20 && value[at] !== 0x09) return false;
  return true;
}

/** Start and end of each non-blank line, flat: [start0, end0, start1, end1, …], `end` before the '\n'. */
export function lineBounds(value: Buffer): number[] {
  const lines: number[] = [];
  let start = 0;
  while (start < value.length) {
    let end = value.indexOf(newline, start);
    if (end === -1) end = value.length;
    let last = end;
    if (last > start && value[last - 1] === 0x0d) last -= 1; // tolerate CRLF
    if (!isBlank(value, start, last)) lines.push(start, last);
    start = end + 1;
  }
  return lines;
}
