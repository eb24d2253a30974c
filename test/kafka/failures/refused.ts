// A document the search cluster refused with a mapping error, as the failure tests hand it on.
import type { FailedDocument } from '../../../src/records.js';

export function refusedDocument(overrides: Partial<FailedDocument> = {}): FailedDocument {
  return {
    bytes: Buffer.from('{"index":{"_index":"sessions3-x"}}\n{"a":1}\n'),
    reason: 'failed to parse field [a]',
    errorType: 'mapper_parsing_exception',
    status: 400,
    index: 'sessions3-x',
    id: 'id-1',
    source: { topic: 'spi', topicId: '', partition: 0, offset: 1n },
    ...overrides,
  };
}
