// The pipeline's second stage: a Kafka message's value read as bulk items (bulk, bulk1 or doc),
// with derived ids where asked for, and the items the allow-list refuses taken out. Messages that
// cannot be read are counted here by reason; their documents fail with the rest of the batch.
import { withDerivedIds } from '../bulk/derived-ids.js';
import type { ParsedMessage } from '../bulk/items.js';
import { parseMessage } from '../bulk/parse.js';
import type { ConsumedMessage } from '../records.js';
import type { Metrics } from '../telemetry/metrics.js';

export interface ParsingDeps {
  deterministicIds: boolean;
  /** Takes the items the allow-list refuses out of a message (see allow-list.ts). */
  allowList: (parsed: ParsedMessage) => ParsedMessage;
  metrics: Pick<Metrics, 'rejectedMessages'>;
}

export function messageParser(deps: ParsingDeps): (message: ConsumedMessage) => ParsedMessage {
  const { deterministicIds, allowList, metrics } = deps;
  return (message) => {
    const parsed = parseMessage(message.value);
    for (const rejected of parsed.rejected) metrics.rejectedMessages.inc({ reason: rejected.reason });
    // Ids before the allow-list: a derived id names the item's place in the message as received.
    // Items the allow-list refuses are counted with the other failed documents, by reason.
    return allowList(deterministicIds ? withDerivedIds(parsed, message) : parsed);
  };
}
