// A TLS-terminating reverse proxy in front of a search node, as many deployments put one: nginx
// from Debian's packages, checking basic authentication (an htpasswd file), an `ApiKey` header or
// a bearer token on a port each, and passing what it accepts on to the node.
//
// nginx is taken from PATH when installed; otherwise Debian's `nginx` package (which holds the
// binary) is fetched with `apt-get download` and unpacked with `dpkg-deb -x` into the stack's
// cache, without installing anything on the system. It runs in the foreground as one process
// (no master, no user switch), with its configuration, pid, temporary files and logs in its own
// folder, listening on loopback only.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildOnce, cacheDir, runCommand } from './artifacts.js';
import { ManagedServer } from './managed-server.js';
import { freePort } from './ports.js';
import { ServerProcess } from './server-process.js';

const run = promisify(execFile);

/** The nginx binary: the system's if installed, else Debian's package unpacked into the cache. */
export async function installNginx(): Promise<string> {
  try {
    await run('nginx', ['-v']);
    return 'nginx';
  } catch {
    // not on PATH: fetch the package
  }
  const root = await buildOnce(join(cacheDir(), 'nginx-debian'), async (dir) => {
    const debs = join(dir, 'debs');
    mkdirSync(debs);
    try {
      await runCommand('apt-get', ['download', 'nginx'], 'downloading Debian package nginx', debs);
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\nnginx is not installed: run 'apt-get update' once (apt has no package list yet), or 'apt-get install nginx-light'`,
        { cause: error },
      );
    }
    for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
      await runCommand('dpkg-deb', ['-x', join(debs, deb), join(dir, 'root')], `unpacking ${deb}`);
    }
  });
  return join(root, 'root', 'usr', 'sbin', 'nginx');
}

export interface SearchProxyOptions {
  /** The folder the proxy's configuration, temporary files and logs go to. */
  dir: string;
  /** The search node it passes requests to, e.g. http://127.0.0.1:9200. */
  upstream: string;
  /** PEM files of the certificate it presents (for 127.0.0.1) and its unencrypted key. */
  certificate: { cert: string; key: string };
  /** What each of its ports accepts. */
  basic: { user: string; password: string };
  apiKey: string;
  bearerToken: string;
}

export type ProxyDoor = 'basic' | 'apiKey' | 'bearer';

/** The body nginx answers a refused request with, shaped as Elasticsearch's own refusal. */
const refusal =
  '{"error":{"type":"security_exception","reason":"missing or wrong authentication credentials (nginx)"},"status":401}';

export class SearchProxy extends ManagedServer {
  private constructor(
    readonly options: SearchProxyOptions,
    readonly ports: Record<ProxyDoor, number>,
  ) {
    super();
  }

  static async create(options: SearchProxyOptions): Promise<SearchProxy> {
    return new SearchProxy(options, {
      basic: await freePort(),
      apiKey: await freePort(),
      bearer: await freePort(),
    });
  }

  /** https://127.0.0.1:<port> of the door that checks `door`'s credentials. */
  url(door: ProxyDoor): string {
    return `https://127.0.0.1:${this.ports[door]}`;
  }

  get name(): string {
    return `nginx (TLS proxy to ${this.options.upstream})`;
  }

  protected async prepare(): Promise<ServerProcess> {
    const { dir } = this.options;
    const nginx = await installNginx();
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    const htpasswd = join(dir, 'htpasswd');
    writeFileSync(htpasswd, `${this.options.basic.user}:${await apr1(dir, this.options.basic.password)}\n`, {
      mode: 0o600,
    });
    const config = join(dir, 'nginx.conf');
    writeFileSync(config, this.config(htpasswd), { mode: 0o600 });
    return new ServerProcess({
      name: this.name,
      command: nginx,
      args: ['-p', dir, '-c', config, '-e', join(dir, 'error.log')],
      env: { PATH: process.env['PATH'] },
      cwd: dir,
      logFile: join(dir, 'console.log'),
      isReady: () => this.isListening(),
      readyTimeoutMs: 15_000,
    });
  }

  private config(htpasswd: string): string {
    const { dir, upstream, certificate, apiKey, bearerToken } = this.options;
    const temp = (name: string): string => `${name}_temp_path ${join(dir, 'tmp', name)};`;
    const pass = `
      location / {
        proxy_pass http://search;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Authorization "";
        proxy_request_buffering off;
      }`;
    const refuse = `if ($door_ok = 0) { return 401 '${refusal}'; }`;
    const listen = (port: number): string => `listen 127.0.0.1:${port} ssl;`;
    return `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log ${join(dir, 'access.log')};
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  client_max_body_size 100m;
  default_type application/json;
  ssl_certificate ${certificate.cert};
  ssl_certificate_key ${certificate.key};
  ssl_protocols TLSv1.2 TLSv1.3;
  upstream search { server ${new URL(upstream).host}; keepalive 16; }
  map "$server_port:$http_authorization" $door_ok {
    default 0;
    "${this.ports.apiKey}:ApiKey ${apiKey}" 1;
    "${this.ports.bearer}:Bearer ${bearerToken}" 1;
  }
  server {
    ${listen(this.ports.basic)}
    auth_basic "search";
    auth_basic_user_file ${htpasswd};
    ${pass}
  }
  server {
    ${listen(this.ports.apiKey)}
    ${refuse}
    ${pass}
  }
  server {
    ${listen(this.ports.bearer)}
    ${refuse}
    ${pass}
  }
}
`;
  }

  private async isListening(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.ports.bearer, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
  }
}

/** The apr1 (Apache MD5) hash nginx's auth_basic reads; the password goes to openssl in a file. */
async function apr1(dir: string, password: string): Promise<string> {
  const file = join(dir, `password-${randomBytes(4).toString('hex')}`);
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  try {
    const { stdout } = await run('openssl', ['passwd', '-apr1', '-in', file]);
    return stdout.trim();
  } finally {
    rmSync(file);
  }
}
