import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { ReadinessState } from './health.js';

export interface HttpEndpoints {
  metricsPath: string;
  registry: Registry;
  readiness: () => ReadinessState;
}

/**
 * The HTTP server beside the pipeline: Prometheus metrics at `metricsPath`, and Kubernetes'
 * probes: /healthz (the process answers) and /readyz (in the group, search cluster reachable;
 * 503 with the reasons when not).
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
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(String(error));
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
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return server;
}
