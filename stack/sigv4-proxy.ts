// A stand-in for Amazon OpenSearch Service's IAM front door, on loopback, in front of a real
// search node: AWS cannot be reached from here. It verifies every request's Signature V4 with an
// implementation independent of the indexer's (the `aws4` package, not `@smithy/signature-v4`),
// checks `x-amz-content-sha256` against the SHA-256 of the bytes it received (aws4 trusts that
// header), refuses wrong, missing and expired signatures with 403 and the bodies AWS sends
// (docs/security.md, "Amazon OpenSearch Service"), and forwards the rest unchanged. Like a
// managed domain it hides `_nodes`. Keys are added and revoked while it runs (rotation).
import { createHash } from 'node:crypto';
import {
  request as httpRequest,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import aws4 from 'aws4';
import { closeServer, listenOnLoopback } from './loopback-server.js';

export interface ProxyKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** After this (ms since the epoch) the key answers "is expired". */
  expiresAt?: number;
}

export type Verdict = 'accepted' | 'unsigned' | 'mismatch' | 'invalid_key' | 'expired' | 'skewed' | 'hidden';

export interface SeenRequest {
  method: string;
  path: string;
  verdict: Verdict;
  accessKeyId: string | undefined;
  /** x-amz-date, as ms since the epoch. */
  signedAt: number | undefined;
  signature: string | undefined;
}

/** The first sentence is what the indexer may show; the rest echoes the canonical request, token and all. */
const mismatchMessage = (canonical: string): string =>
  `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'${canonical}'\n`;

const authPattern =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

function amzDate(text: string | undefined): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  return m === null ? undefined : Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

export class SigV4Proxy {
  readonly seen: SeenRequest[] = [];
  private readonly keys = new Map<string, ProxyKey>();
  private server: Server | undefined;
  private port = 0;

  constructor(
    private readonly upstream: string,
    readonly region: string,
    readonly service = 'es',
    private readonly now: () => number = Date.now,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  allow(key: ProxyKey): void {
    this.keys.set(key.accessKeyId, key);
  }

  revoke(accessKeyId: string): void {
    this.keys.delete(accessKeyId);
  }

  count(verdict: Verdict): number {
    return this.seen.filter((s) => s.verdict === verdict).length;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    // Keep-alive connections of the indexer must not keep close() waiting.
    this.server.keepAliveTimeout = 1000;
    this.port = await listenOnLoopback(this.server);
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const auth = authPattern.exec(String(req.headers.authorization ?? ''));
    const signedAt = amzDate(req.headers['x-amz-date'] as string | undefined);
    const record = (verdict: Verdict): void => {
      this.seen.push({
        method: req.method ?? '',
        path: req.url ?? '',
        verdict,
        accessKeyId: auth?.[1],
        signedAt,
        signature: auth?.[6],
      });
    };
    const verdict = this.verify(req, body, auth, signedAt);
    record(verdict.verdict);
    if (verdict.verdict !== 'accepted') {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify(verdict.answer));
      return;
    }
    this.forward(req, body, res);
  }

  private verify(
    req: IncomingMessage,
    body: Buffer,
    auth: RegExpExecArray | null,
    signedAt: number | undefined,
  ): { verdict: 'accepted' } | { verdict: Verdict; answer: Record<string, string> } {
    const action =
      req.method === 'GET'
        ? 'es:ESHttpGet'
        : `es:ESHttp${(req.method ?? '').charAt(0)}${(req.method ?? '').slice(1).toLowerCase()}`;
    if (auth === null || signedAt === undefined) {
      return {
        verdict: 'unsigned',
        answer: { Message: `User: anonymous is not authorized to perform: ${action}` },
      };
    }
    const [, accessKeyId, , region, service, signedHeaders] = auth as unknown as string[];
    const key = this.keys.get(accessKeyId as string);
    if (key === undefined || (key.sessionToken ?? '') !== (req.headers['x-amz-security-token'] ?? '')) {
      return {
        verdict: 'invalid_key',
        answer: { message: 'The security token included in the request is invalid.' },
      };
    }
    const now = this.now();
    if (key.expiresAt !== undefined && now >= key.expiresAt) {
      return {
        verdict: 'expired',
        answer: { message: 'The security token included in the request is expired' },
      };
    }
    if (Math.abs(now - signedAt) > 5 * 60_000) {
      const stamp = (ms: number): string => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');
      return {
        verdict: 'skewed',
        answer: {
          message: `Signature expired: ${stamp(signedAt)} is now earlier than ${stamp(now - 300_000)} (${stamp(now)} - 5 min.)`,
        },
      };
    }
    const headers: Record<string, string> = {};
    for (const name of (signedHeaders as string).split(';')) headers[name] = String(req.headers[name] ?? '');
    const received = createHash('sha256').update(body).digest('hex');
    const signer = new aws4.RequestSigner(
      {
        method: req.method ?? 'GET',
        host: headers['host'] ?? '',
        path: req.url ?? '/',
        service: this.service,
        region: this.region,
        headers,
      },
      {
        accessKeyId: key.accessKeyId,
        secretAccessKey: key.secretAccessKey,
        ...(key.sessionToken !== undefined && { sessionToken: key.sessionToken }),
      },
    );
    signer.prepareRequest();
    const expected = signer.signature();
    if (
      region !== this.region ||
      service !== this.service ||
      !(signedHeaders as string).split(';').includes('host') ||
      headers['x-amz-content-sha256'] !== received ||
      expected !== auth[6]
    ) {
      return { verdict: 'mismatch', answer: { message: mismatchMessage(signer.canonicalString()) } };
    }
    if ((req.url ?? '').startsWith('/_nodes')) {
      return {
        verdict: 'hidden',
        answer: { Message: `User: ${accessKeyId} is not authorized to perform: ${action}` },
      };
    }
    return { verdict: 'accepted' };
  }

  private forward(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const target = new URL(req.url ?? '/', this.upstream);
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    const out = httpRequest(target, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    // The node behind is down (a restart): what a managed domain's load balancer answers then.
    out.on('error', () => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('503 Service Temporarily Unavailable');
    });
    out.end(body);
  }
}
