// What the transport (../bulk-client.ts) asks of SigV4, in its own terms: the headers of one try,
// signed anew, and what an AWS 403 means for it (show one sentence; or new credentials, send again).
import type { Config } from '../../config/schema.js';
import { IndexerError } from '../../retry.js';
import { SearchSecurityError } from '../connection.js';
import { awsRefusal } from './refusal.js';
import { awsSigner, splitQuery, type RequestSigner } from './signing.js';

/** The AWS credential chain found nothing, or failed: no request can be signed. */
export class AwsCredentialsError extends IndexerError {
  static readonly code = 'AKI_AWS_CREDENTIALS';
  constructor(cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`no AWS credentials to sign with (ELASTIC_AWS_SIGV4): ${why}`, AwsCredentialsError.code, true, {
      cause,
    });
  }
}

export interface OutgoingRequest {
  method: string;
  node: URL;
  /** The path as on the wire, with its query string. */
  path: string;
  headers: Record<string, string>;
  body?: readonly Uint8Array[];
}

export class TransportSigner {
  constructor(private readonly signer: RequestSigner) {}

  /** The request's headers with a signature made now; AwsCredentialsError when none can be. */
  async headers(request: OutgoingRequest): Promise<Record<string, string>> {
    try {
      return await this.signer.sign({
        method: request.method,
        node: request.node,
        ...splitQuery(request.path),
        headers: request.headers,
        ...(request.body !== undefined && { body: request.body }),
      });
    } catch (error) {
      throw new AwsCredentialsError(error);
    }
  }

  /**
   * After a 403 on try `tries`: the body as the rest of the indexer may see it, and whether to
   * send again — once, with new credentials, when the domain said they or the signature expired.
   */
  async refused(body: string, tries: number): Promise<{ body: string; again: boolean }> {
    const refusal = awsRefusal(body);
    if (!refusal.expired || tries > 1) return { body: refusal.body, again: false };
    try {
      await this.signer.refresh();
    } catch (error) {
      throw new AwsCredentialsError(error);
    }
    return { body: refusal.body, again: true };
  }
}

/** With ELASTIC_AWS_SIGV4, the signer of every request; the region was found at start (cli.ts). */
export function transportSigner(
  config: Pick<Config, 'elasticAwsSigv4' | 'elasticAwsSigv4Region' | 'elasticAwsSigv4Service'>,
): TransportSigner | undefined {
  if (!config.elasticAwsSigv4) return undefined;
  if (config.elasticAwsSigv4Region === '') {
    throw new SearchSecurityError(
      'ELASTIC_AWS_SIGV4 is on but no region was found: set ELASTIC_AWS_SIGV4_REGION',
    );
  }
  return new TransportSigner(awsSigner(config.elasticAwsSigv4Region, config.elasticAwsSigv4Service));
}
