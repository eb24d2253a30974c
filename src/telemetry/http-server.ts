import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { ReadinessState } from './health.js';
import { statusPage } from './status-page.js';

export interface HttpEndpoints {
  metricsPath: string;
  registry: Registry;
  readiness: () => ReadinessState;
  /** /status.json's body; without it there is no status page. */
  status?: () => Promise<string>;
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
export async function startHttpServer(port: number, endpoints: HttpEndpoints): Promise<Server> {
  const { metricsPath, registry } = endpoints;
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
    server.listen(port, () => resolve());
  });
  return server;
}
