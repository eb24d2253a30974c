// Refused credentials and untrusted certificates look like an outage to the retry loop: the batch
// is sent again until the cluster takes it, and nothing is committed meanwhile. That is right (a
// fixed password or CA lets everything through without loss), but the operator must be told the
// cause in one clear line — status, node, authentication method, never the secret — once when a
// node starts refusing, not once per retry, and once more when it accepts again.
import type { Logger } from '../telemetry/logger.js';
import type { BulkReply } from '../records.js';
import { errorTree } from '../retry.js';
import { isUntrustedCertificate } from '../tls.js';
import { unreachableNode } from './bulk-client.js';
import type { AuthMethod } from './connection.js';

type Refusal = 'credentials' | 'privileges' | 'certificate';

/** The certificate error somewhere in the error's causes, if there is one. */
function certificateError(error: unknown): Error | undefined {
  return errorTree(error).find(isUntrustedCertificate);
}

/** The cluster's error type and reason, from an Elasticsearch/OpenSearch error body (a proxy's page has none). */
function clusterError(body: string): { type?: string; reason?: string } {
  try {
    const parsed = JSON.parse(body) as {
      error?: { type?: unknown; reason?: unknown };
      message?: unknown;
    };
    // Amazon OpenSearch Service's own refusals are {"message": …}, cut to one sentence by the client.
    const { type, reason } = parsed.error ?? { reason: parsed.message };
    return {
      ...(typeof type === 'string' && { type }),
      ...(typeof reason === 'string' && { reason: reason.slice(0, 300) }),
    };
  } catch {
    return {};
  }
}

export class RefusalReporter {
  /** Per node, what it is refusing now; absent when it is not. */
  private readonly refusing = new Map<string, Refusal>();

  constructor(
    private readonly logger: Logger,
    private readonly method: () => AuthMethod,
    private readonly caLocation: string,
  ) {}

  /** Looks at one answer of the cluster. */
  reply(reply: BulkReply): void {
    if (reply.status === 401 || reply.status === 403) {
      const refusal = reply.status === 401 ? 'credentials' : 'privileges';
      if (this.refusing.get(reply.node) === refusal) return;
      this.refusing.set(reply.node, refusal);
      const fields = {
        node: reply.node,
        status: reply.status,
        auth: this.method(),
        ...clusterError(reply.body),
      };
      this.logger.error(
        fields,
        /signature we calculated does not match/.test(fields.reason ?? '')
          ? `search node ${reply.node} refused the request signature (${reply.status}): ${fields.reason} Check the AWS secret key, ELASTIC_AWS_SIGV4_REGION and the clock; the documents are retried until it is accepted and nothing is committed meanwhile`
          : refusal === 'credentials'
            ? `search node ${reply.node} refused the credentials (${reply.status}) sent as ${fields.auth}: check them; the documents are retried until they are accepted and nothing is committed meanwhile`
            : `search node ${reply.node} refused the request (${reply.status}): the user of ${fields.auth} lacks the privileges to write there; the documents are retried until it has them and nothing is committed meanwhile`,
      );
      return;
    }
    this.accepted(reply.node);
  }

  /** Looks at a request that got no answer: only a certificate that does not verify is reported here. */
  failure(node: string, error: unknown): void {
    const cause = certificateError(error);
    if (cause === undefined || this.refusing.get(node) === 'certificate') return;
    this.refusing.set(node, 'certificate');
    const trusted =
      this.caLocation === ''
        ? "Node.js's built-in CAs (set ELASTIC_SSL_CA_LOCATION to the CA that signed it)"
        : `ELASTIC_SSL_CA_LOCATION=${JSON.stringify(this.caLocation)}`;
    this.logger.error(
      { node, code: (cause as NodeJS.ErrnoException).code },
      `search node ${node} has a TLS certificate that is not trusted (${cause.message}) by ${trusted}; the documents are retried until it is and nothing is committed meanwhile`,
    );
  }

  private accepted(node: string): void {
    const was = this.refusing.get(node);
    if (was === undefined) return;
    this.refusing.delete(node);
    this.logger.info({ node }, `search node ${node} accepts the requests again`);
  }
}

/** `send`, with every answer it gets and every request that gets none shown to `reporter`. */
export function reportingRefusals<A extends unknown[]>(
  send: (...args: A) => Promise<BulkReply>,
  reporter: RefusalReporter,
): (...args: A) => Promise<BulkReply> {
  return async (...args) => {
    try {
      const reply = await send(...args);
      reporter.reply(reply);
      return reply;
    } catch (error) {
      const unreachable = unreachableNode(error);
      if (unreachable !== undefined) reporter.failure(unreachable.node, unreachable);
      throw error;
    }
  };
}
