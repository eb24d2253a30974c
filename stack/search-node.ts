import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findJdkIn } from './java.js';
import { freePort } from './ports.js';
import { installSearch, javaRange, type Distribution } from './search-install.js';
import { ManagedServer } from './managed-server.js';
import { ServerProcess } from './server-process.js';
import { serviceUser } from './service-user.js';

export interface SearchNodeOptions {
  distribution: Distribution;
  version: string;
  /** The folder this node's configuration, data and logs go to. */
  dir: string;
  nodeName?: string;
  clusterName?: string;
  heapMb?: number;
  /**
   * Transport addresses of the other nodes of a multi-node cluster, and the names of the nodes
   * that bootstrap it; a node given none runs as a single-node cluster.
   */
  cluster?: { seedHosts: string[]; initialNodes: string[] };
  /** Extra settings (passed as -E key=value), e.g. security or TLS for later tests. */
  settings?: Record<string, string>;
}

// Lines of the stock jvm.options that write to paths relative to the working directory: the
// node writes its GC log, error files and heap dumps to its own folder instead.
const relativePathOption = /(-Xlog:gc|-Xloggc|-XX:ErrorFile|-XX:HeapDumpPath|GCLogFile|UseGCLogFileRotation)/;

/** One Elasticsearch or OpenSearch node on loopback, run as an unprivileged user when we are root. */
export class SearchNode extends ManagedServer {
  private constructor(
    readonly options: SearchNodeOptions,
    readonly httpPort: number,
    readonly transportPort: number,
  ) {
    super();
  }

  static async create(options: SearchNodeOptions): Promise<SearchNode> {
    return new SearchNode(options, await freePort(), await freePort());
  }

  /**
   * The nodes of one cluster on loopback, each in `dir/<name>`, each knowing the others' transport
   * addresses. Start them together: a cluster forms (and a node is ready) only once a majority of
   * `names` has met.
   */
  static async cluster(
    options: Omit<SearchNodeOptions, 'cluster' | 'nodeName'>,
    names: string[],
  ): Promise<SearchNode[]> {
    const ports = new Set<number>();
    while (ports.size < names.length * 2) ports.add(await freePort());
    const [http, transport] = [[...ports].slice(0, names.length), [...ports].slice(names.length)];
    const seedHosts = transport.map((port) => `127.0.0.1:${port}`);
    mkdirSync(options.dir, { recursive: true });
    chmodSync(options.dir, 0o755); // the servers' unprivileged user must reach its own folder
    return names.map(
      (nodeName, i) =>
        new SearchNode(
          {
            clusterName: `aki-${options.distribution}-cluster`,
            ...options,
            dir: join(options.dir, nodeName),
            nodeName,
            cluster: { seedHosts, initialNodes: names },
          },
          http[i] as number,
          transport[i] as number,
        ),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get transportAddress(): string {
    return `127.0.0.1:${this.transportPort}`;
  }

  get nodeName(): string {
    return this.options.nodeName ?? `${this.options.distribution}-1`;
  }

  get name(): string {
    return `${this.options.distribution} ${this.options.version} (node ${this.nodeName}, ${this.url})`;
  }

  private settings(dir: string): Record<string, string> {
    const { distribution, cluster } = this.options;
    const clusterSettings: Record<string, string> =
      cluster === undefined
        ? { 'discovery.type': 'single-node' }
        : {
            'discovery.seed_hosts': cluster.seedHosts.join(','),
            [distribution === 'elasticsearch'
              ? 'cluster.initial_master_nodes'
              : 'cluster.initial_cluster_manager_nodes']: cluster.initialNodes.join(','),
          };
    return {
      'cluster.name': this.options.clusterName ?? `aki-${distribution}`,
      'node.name': this.nodeName,
      'network.host': '127.0.0.1',
      'http.port': String(this.httpPort),
      'transport.port': String(this.transportPort),
      'path.data': join(dir, 'data'),
      'path.logs': join(dir, 'logs'),
      // Test machines fill their disks; the watermarks would block writes long before it matters here.
      'cluster.routing.allocation.disk.threshold_enabled': 'false',
      // Tests clean up their indices by pattern (prefix-*), which both servers refuse by default.
      'action.destructive_requires_name': 'false',
      ...clusterSettings,
      ...(distribution === 'elasticsearch' ? { 'xpack.security.enabled': 'false' } : {}),
      ...this.options.settings,
    };
  }

  protected async prepare(): Promise<ServerProcess> {
    const { distribution, version, dir } = this.options;
    const home = await installSearch(distribution, version);
    const jdk = findJdkIn(javaRange(distribution, version));
    for (const sub of ['data', 'logs', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
    const config = join(dir, 'config');
    cpSync(join(home, 'config'), config, { recursive: true });
    const jvmOptions = join(config, 'jvm.options');
    const kept = readFileSync(jvmOptions, 'utf8')
      .split('\n')
      .filter((line) => !relativePathOption.test(line));
    writeFileSync(jvmOptions, kept.join('\n'));
    const heap = `${this.options.heapMb ?? 1024}m`;
    mkdirSync(join(config, 'jvm.options.d'), { recursive: true });
    writeFileSync(
      join(config, 'jvm.options.d', 'stack.options'),
      [
        `-Xms${heap}`,
        `-Xmx${heap}`,
        `-XX:ErrorFile=${join(dir, 'logs', 'hs_err_pid%p.log')}`,
        `-XX:HeapDumpPath=${join(dir, 'data')}`,
        '',
      ].join('\n'),
    );
    const user = serviceUser();
    if (user !== undefined) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
    const prefix = distribution === 'elasticsearch' ? 'ES' : 'OPENSEARCH';
    const args = Object.entries(this.settings(dir)).flatMap(([key, value]) => ['-E', `${key}=${value}`]);
    return new ServerProcess({
      name: this.name,
      command: join(home, 'bin', distribution),
      args,
      env: {
        PATH: process.env['PATH'],
        LANG: 'C.UTF-8',
        HOME: dir,
        [`${prefix}_JAVA_HOME`]: jdk.home,
        [`${prefix}_PATH_CONF`]: config,
        [`${prefix}_TMPDIR`]: join(dir, 'tmp'),
      },
      cwd: dir,
      logFile: join(dir, 'logs', 'console.log'),
      user,
      isReady: () => this.isHealthy(),
    });
  }

  private async isHealthy(): Promise<boolean> {
    const response = await fetch(`${this.url}/_cluster/health?wait_for_status=yellow&timeout=1s`, {
      signal: AbortSignal.timeout(3000),
    });
    await response.body?.cancel();
    return response.ok;
  }
}
