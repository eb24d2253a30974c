// AWS Signature V4 for Amazon OpenSearch Service domains that use IAM (ELASTIC_AWS_SIGV4). The
// signer and the credential chain are AWS's own packages, not ours: `@smithy/signature-v4`
// computes the signature, `@aws-sdk/credential-providers` finds the credentials (environment,
// shared files and profiles, web identity, ECS, IMDSv2) and renews them before they expire when
// asked before each signing. What is ours is what the signer must be told about our transport:
// the body's hash as it goes on the wire, the node really reached, and a new signature per try.
import { createHash } from 'node:crypto';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

/** What the chain gives; a test passes its own. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}
export type CredentialsProvider = (options?: { forceRefresh?: boolean }) => Promise<AwsCredentials>;

/** One request as it will be sent: `path` exactly as on the wire, without its query. */
export interface RequestToSign {
  method: string;
  node: URL;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  /** The body's chunks as sent (gzipped when compression is on); none for a GET. */
  body?: readonly Uint8Array[];
}

/** Signs requests; `refresh` fetches new credentials (the cluster said they expired). */
export interface RequestSigner {
  sign(request: RequestToSign, signingDate?: Date): Promise<Record<string, string>>;
  refresh(): Promise<void>;
}

export const emptyBodyHash = createHash('sha256').digest('hex');

/**
 * SHA-256 of the chunks as sent. The signer would hash a single buffer itself, but a body of
 * several chunks it signs as UNSIGNED-PAYLOAD, which managed domains refuse.
 */
export function payloadHash(body: readonly Uint8Array[] | undefined): string {
  if (body === undefined || body.length === 0) return emptyBodyHash;
  const hash = createHash('sha256');
  for (const chunk of body) hash.update(chunk);
  return hash.digest('hex');
}

/** A path with its query string as the signer wants them: apart, the query as an object. */
export function splitQuery(pathAndQuery: string): { path: string; query: Record<string, string | string[]> } {
  const at = pathAndQuery.indexOf('?');
  if (at < 0) return { path: pathAndQuery, query: {} };
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(pathAndQuery.slice(at + 1))) {
    const seen = query[key];
    query[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return { path: pathAndQuery.slice(0, at), query };
}

/** The Host header for a node: its host, with the port unless it is the scheme's default. */
export function hostHeader(node: URL): string {
  return node.host;
}

/**
 * A signer for `service` in `region` with `credentials` (default: the AWS chain). Each call to
 * `sign` asks the provider first: the chain caches credentials and starts renewing them five
 * minutes before they expire, so that is the whole refresh. Every call signs anew.
 */
export function awsSigner(
  region: string,
  service: string,
  credentials: CredentialsProvider = fromNodeProviderChain(),
): RequestSigner {
  const signer = new SignatureV4({
    service,
    region,
    credentials: () => credentials(),
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: true,
    applyChecksum: true,
  });
  return {
    async sign(request, signingDate) {
      const headers = {
        ...request.headers,
        host: hostHeader(request.node),
        'x-amz-content-sha256': payloadHash(request.body),
      };
      const signed = await signer.sign(
        {
          method: request.method,
          protocol: request.node.protocol,
          hostname: request.node.hostname,
          path: request.path,
          query: request.query,
          headers,
        },
        signingDate === undefined ? {} : { signingDate },
      );
      return signed.headers;
    },
    async refresh() {
      // Bypasses the chain's cache and renews it: later signings use what this fetched.
      await credentials({ forceRefresh: true });
    },
  };
}
