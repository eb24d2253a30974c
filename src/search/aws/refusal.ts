// What a 403 of Amazon OpenSearch Service says about the signature. Its body must never be shown
// whole: "The request signature we calculated does not match…" goes on to echo the canonical
// request it expected, and that includes the session token (x-amz-security-token). Only the
// first sentence is kept, and that is all the rest of the indexer ever sees of it.

export interface AwsRefusal {
  /** The body as the rest of the indexer may see it: `{"message": first sentence}`, or as it came. */
  body: string;
  /** The credentials or the signature's time ran out: new credentials and a new signature may pass. */
  expired: boolean;
  /** The signature did not match: a wrong secret key, region or clock. */
  mismatch: boolean;
}

/** AWS's own answers carry `message` (or `Message`); the cluster's (fine-grained access control) carry `error`. */
function awsMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; Message?: unknown };
    const message = parsed.message ?? parsed.Message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/** Up to the first full stop followed by a space or line break (or the first line), at most 300 characters. */
export function firstSentence(message: string): string {
  const end = /\.(\s|$)|\n/.exec(message);
  const sentence = end === null ? message : message.slice(0, end.index + (end[0].startsWith('.') ? 1 : 0));
  return sentence.slice(0, 300);
}

export function awsRefusal(body: string): AwsRefusal {
  const message = awsMessage(body);
  if (message === undefined) return { body, expired: false, mismatch: false };
  const sentence = firstSentence(message);
  return {
    body: JSON.stringify({ message: sentence }),
    expired: /is expired|Signature expired/i.test(message),
    mismatch: /signature we calculated does not match/i.test(message),
  };
}
