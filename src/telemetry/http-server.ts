import { createServer, type ServerResponse, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { ReadinessState } from './health.js';
import type { Logger } from './logger.js';
import { authenticateHeader, pageCredential, type PageConfig } from './page-access.js';
import { statusPage } from './status-page.js';

export interface HttpEndpoints {
  metricsPath: string;
  registry: Registry;
  readiness: () => ReadinessState;
  /** /status.json's body; without it there is no status page. */
  status?: () => Promise<string>;
  /**
   * Whether a request's Authorization header may read / and /status.json (./page-access.ts); the
   * page is open without it. Never asked for /metrics and the probes: they show no captured data,
   * and the kubelet and Prometheus ask them without credentials.
   */
  pageAccess?: (authorization: string | undefined) => boolean;
}

/** Where the server listens: PORT, and LISTEN_ADDRESS (empty: every interface, IPv4 and IPv6). */
export type ListenOn = Pick<Config, 'port' | 'listenAddress'>;

function refuse(response: ServerResponse): void {
  response.writeHead(401, {
    'content-type': 'text/plain',
    'www-authenticate': authenticateHeader,
    'cache-control': 'no-store',
  });
  response.end('authentication required\n');
}

/**
 * The page loads nothing from anywhere but this server, and the browser holds it to that: no
 * script, style, font or image from elsewhere, no frame, no form.
 */
const pagePolicy =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The HTTP server beside the pipeline: Prometheus metrics at `metricsPath`, Kubernetes' probes:
 * /healthz (the process answers) and /readyz (in the group, search cluster reachable; 503 with
 * the reasons when not), and the status page at / with its data at /status.json.
 */
export async function startHttpServer(listen: ListenOn, endpoints: HttpEndpoints): Promise<Server> {
  const { metricsPath, registry } = endpoints;
  const allowed = endpoints.pageAccess ?? (() => true);
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const get = request.method === 'GET' || request.method === 'HEAD';
    if (get && url.pathname === metricsPath) {
      registry.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': registry.contentType });
          response.end(text);
        },
        () => {
          // No error text: it is not blanked of secrets the way the JSON is.
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end('status unavailable\n');
        },
      );
      return;
    }
    if (get && url.pathname === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('ok\n');
      return;
    }
    if (get && url.pathname === '/readyz') {
      const state = endpoints.readiness();
      response.writeHead(state.ready ? 200 : 503, { 'content-type': 'application/json' });
      response.end(`${JSON.stringify(state)}\n`);
      return;
    }
    const page = endpoints.status !== undefined && (url.pathname === '/' || url.pathname === '/status.json');
    if (get && page && !allowed(request.headers.authorization)) {
      refuse(response);
      return;
    }
    if (get && endpoints.status !== undefined && url.pathname === '/') {
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': pagePolicy,
        'cache-control': 'no-store',
      });
      response.end(statusPage);
      return;
    }
    if (get && endpoints.status !== undefined && url.pathname === '/status.json') {
      endpoints.status().then(
        (json) => {
          response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          response.end(json);
        },
        () => {
          // No error text: it is not blanked of secrets the way the JSON is.
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end('status unavailable\n');
        },
      );
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // No host: Node listens on every interface (:: with IPv4 mapped, or 0.0.0.0), as before LISTEN_ADDRESS.
    if (listen.listenAddress === '') server.listen(listen.port, () => resolve());
    else server.listen(listen.port, listen.listenAddress, () => resolve());
  });
  return server;
}

/**
 * The start-up line saying where the server listens and who may read the status page: open
 * (STATUS_PASSWORD empty, as before the setting existed) is said as plainly as a password is.
 */
export function logListening(logger: Logger, server: Server, page: PageConfig): void {
  const username = pageCredential(page)?.username;
  const address = server.address();
  const listen =
    address === null || typeof address === 'string'
      ? String(address)
      : `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  const access =
    username === undefined
      ? 'open to anyone who reaches it (STATUS_PASSWORD is empty)'
      : `behind basic authentication (user ${username})`;
  logger.info(
    {
      listen,
      statusAuth: username === undefined ? 'none' : 'basic',
      fieldValues: page.statusShowFieldValues ? 'shown' : 'hidden',
    },
    `HTTP server on ${listen}: the status page and /status.json are ${access}; /metrics, /healthz and /readyz ask no credentials`,
  );
}
