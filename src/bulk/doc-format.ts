// The `doc` format (kafkaMsgFormat=doc): a document alone, carrying "index":"<target index>".
// The one format parsed and written anew, to move that routing field into a generated action
// line; the document's JSON value is kept, not its bytes.
import { noRejections, type ParsedMessage } from './items.js';
import { rewriteProblem } from './rewrite-problem.js';

/** A message of one line that is not an action line, read as a `doc` message. */
export function parseDocMessage(value: Buffer): ParsedMessage {
  const reject = (detail: string): ParsedMessage => ({
    format: 'doc',
    body: Buffer.alloc(0),
    items: [],
    rejected: [{ bytes: value, reason: 'malformed_document', detail }],
    needsIds: false,
  });
  const text = value.toString('utf8');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return reject(`neither a bulk action line nor a JSON document: ${(error as Error).message}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return reject('a document must be a JSON object');
  }
  const problem = rewriteProblem(text, true);
  if (problem !== undefined) return reject(`cannot be written anew unchanged: ${problem}`);
  const { index, ...stored } = document as Record<string, unknown>;
  if (typeof index !== 'string' || index === '') {
    return reject('a document without an action line must name its target in a string field "index"');
  }
  const action = `{"index":{"_index":${JSON.stringify(index)}}}\n`;
  const body = Buffer.from(`${action}${JSON.stringify(stored)}\n`);
  return {
    format: 'doc',
    body,
    items: [{ action: 'index', start: 0, end: body.length, index, id: undefined }],
    rejected: noRejections,
    needsIds: true,
  };
}
