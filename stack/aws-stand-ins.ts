// Local HTTP stand-ins for the AWS endpoints that hand out credentials, since AWS cannot be reached
// from here: the EC2 instance metadata service (IMDSv2: token PUT, role, credentials JSON,
// placement/region), the ECS container credentials endpoint, and STS AssumeRoleWithWebIdentity
// (EKS IRSA). The real credential chain of the indexer talks to them through the variables AWS
// documents for that (AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_CONTAINER_CREDENTIALS_FULL_URI,
// AWS_ENDPOINT_URL_STS); no code path of the indexer is meant for tests. Every answer with
// credentials issues a new key and tells `issued` about it (the verifying proxy allows it).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ProxyKey } from './sigv4-proxy.js';
import { closeServer, listenOnLoopback } from './loopback-server.js';

export interface StandInOptions {
  region: string;
  /** Told to the client as each key's Expiration. */
  lifetimeMs: number;
  /** Called with each key issued, and the endpoint that issued it. */
  issued: (key: ProxyKey, by: Endpoint) => void;
}

export type Endpoint = 'imds' | 'ecs' | 'sts';

const role = 'arkime-indexer';
const imdsTokenPrefix = 'imds-token-';

/** A new key: recognisable prefixes, random parts. */
export function newKey(lifetimeMs: number): ProxyKey & { expiration: Date } {
  return {
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: `stand-in-secret-${randomBytes(16).toString('hex')}`,
    sessionToken: `stand-in-token-${randomBytes(24).toString('hex')}`,
    expiration: new Date(Date.now() + lifetimeMs),
  };
}

export class AwsStandIns {
  readonly asked: Record<Endpoint, number> = { imds: 0, ecs: 0, sts: 0 };
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly options: StandInOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.port = await listenOnLoopback(this.server);
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private issue(by: Endpoint): ProxyKey & { expiration: Date } {
    this.asked[by] += 1;
    const key = newKey(this.options.lifetimeMs);
    this.options.issued(key, by);
    return key;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const path = req.url ?? '/';
    const send = (status: number, text: string, type = 'text/plain'): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(text);
    };
    if (path === '/latest/api/token' && req.method === 'PUT') {
      return send(200, `${imdsTokenPrefix}${randomBytes(8).toString('hex')}`);
    }
    if (path.startsWith('/latest/')) {
      // IMDSv2 only: without a token from the PUT above, 401 as on an instance that requires it.
      if (!String(req.headers['x-aws-ec2-metadata-token'] ?? '').startsWith(imdsTokenPrefix))
        return send(401, '');
      return this.metadata(path, send);
    }
    if (path === '/ecs/credentials') {
      const key = this.issue('ecs');
      return send(200, JSON.stringify(credentialsJson(key)), 'application/json');
    }
    if (req.method === 'POST' && /Action=AssumeRoleWithWebIdentity/.test(body)) {
      return send(200, stsAnswer(this.issue('sts')), 'text/xml');
    }
    send(404, 'not found');
  }

  private metadata(path: string, send: (status: number, text: string, type?: string) => void): void {
    if (path === '/latest/meta-data/placement/region') return send(200, this.options.region);
    const listing = /^\/latest\/meta-data\/iam\/security-credentials(-extended)?\/$/.exec(path);
    if (listing !== null) return send(200, role);
    if (/^\/latest\/meta-data\/iam\/security-credentials(-extended)?\/arkime-indexer$/.test(path)) {
      const key = this.issue('imds');
      return send(
        200,
        JSON.stringify({ Code: 'Success', Type: 'AWS-HMAC', ...credentialsJson(key) }),
        'application/json',
      );
    }
    send(404, 'not found');
  }
}

function credentialsJson(key: ProxyKey & { expiration: Date }): Record<string, string> {
  return {
    AccessKeyId: key.accessKeyId,
    SecretAccessKey: key.secretAccessKey,
    Token: key.sessionToken ?? '',
    Expiration: key.expiration.toISOString(),
  };
}

function stsAnswer(key: ProxyKey & { expiration: Date }): string {
  return `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:arkime:indexer</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/${role}/arkime-kafka-indexer</Arn>
      <AssumedRoleId>AROAEXAMPLE:arkime-kafka-indexer</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${key.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${key.secretAccessKey}</SecretAccessKey>
      <SessionToken>${key.sessionToken ?? ''}</SessionToken>
      <Expiration>${key.expiration.toISOString()}</Expiration>
    </Credentials>
    <Audience>sts.amazonaws.com</Audience>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`;
}
