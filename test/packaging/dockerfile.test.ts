import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../../stack/ports.js';
import { dockerStages, repoFile, type Instruction } from './files.js';

const run = promisify(execFile);
const stages = dockerStages(repoFile('Dockerfile'));
const final = stages.at(-1) ?? [];
const packageJson = JSON.parse(repoFile('package.json')) as {
  engines: { node: string };
  bin: Record<string, string>;
};

const args = (stage: Instruction[], keyword: string): string[] =>
  stage.filter((i) => i.keyword === keyword).map((i) => i.args);

/** The HEALTHCHECK's exec-form command, e.g. ['node', '-e', '…']. */
function healthCheckCommand(): string[] {
  const [healthcheck] = args(final, 'HEALTHCHECK');
  assert.ok(healthcheck !== undefined, 'the final stage has a HEALTHCHECK');
  const json = /\bCMD\s+(\[.*\])\s*$/.exec(healthcheck)?.[1];
  assert.ok(json !== undefined, `HEALTHCHECK uses the exec form: ${healthcheck}`);
  return JSON.parse(json) as string[];
}

/** Runs the health check command as Docker would, with PORT set; resolves to its exit code. */
async function healthCheckExit(port: number, env: Record<string, string> = {}): Promise<number> {
  const [file, ...rest] = healthCheckCommand();
  assert.equal(file, 'node', 'the slim image has node, not curl');
  try {
    await run(process.execPath, rest, { env: { PORT: String(port), ...env }, timeout: 10_000 });
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

describe('the Dockerfile', () => {
  test('is multi-stage and runs the final stage as a non-root user', () => {
    assert.ok(stages.length >= 2, `${stages.length} stage(s)`);
    const user = args(final, 'USER').at(-1);
    assert.ok(user !== undefined, 'the final stage sets USER');
    assert.doesNotMatch(user, /^(root|0)(:|$)/);
  });

  test('builds every stage on one Node LTS line, no older than package.json engines', () => {
    const majors = stages.map((stage) => {
      const from = args(stage, 'FROM')[0] ?? '';
      const major = /^node:(\d+)[-.\w]*(\s|$)/.exec(from)?.[1];
      assert.ok(major !== undefined, `a node image with a major version tag: FROM ${from}`);
      return Number(major);
    });
    assert.equal(new Set(majors).size, 1, `one Node line for every stage: ${majors.join(', ')}`);
    const major = majors[0]!;
    const minimum = Number(/(\d+)/.exec(packageJson.engines.node)?.[1]);
    assert.ok(major >= minimum, `Node ${major} satisfies engines ${packageJson.engines.node}`);
    // Even lines became LTS up to 26; from 27 on, Node.js makes every yearly line an LTS.
    assert.ok(major % 2 === 0 || major >= 27, `Node ${major} is an LTS line`);
  });

  test('starts the same entry point as the package bin', () => {
    const [bin] = Object.values(packageJson.bin);
    const entrypoint = JSON.parse(args(final, 'ENTRYPOINT').at(-1) ?? '[]') as string[];
    assert.deepEqual(entrypoint, ['node', bin]);
    assert.ok(
      args(final, 'COPY').some((copy) => copy.endsWith(` ./${bin?.split('/').slice(0, -1).join('/')}`)),
      `the final stage copies ${bin}`,
    );
  });

  test('the health check passes only while /healthz on PORT answers 2xx', async () => {
    let status = 200;
    const paths: string[] = [];
    const server = createServer((request, response) => {
      paths.push(request.url ?? '');
      response.writeHead(request.url === '/healthz' ? status : 404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      assert.equal(await healthCheckExit(port), 0, 'healthy');
      status = 503;
      assert.equal(await healthCheckExit(port), 1, 'unhealthy');
      assert.deepEqual(paths, ['/healthz', '/healthz']);
    } finally {
      server.close();
    }
    assert.equal(await healthCheckExit(await freePort()), 1, 'nothing listening');
  });

  test('the health check asks LISTEN_ADDRESS when it names one address, 127.0.0.1 for every interface', async () => {
    // 127.0.0.2: another loopback address (Linux answers on all of 127/8), not 127.0.0.1.
    const server = createServer((_request, response) => response.writeHead(200).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      assert.equal(await healthCheckExit(port, { LISTEN_ADDRESS: '127.0.0.2' }), 0, 'at LISTEN_ADDRESS');
      assert.equal(await healthCheckExit(port), 1, 'not at 127.0.0.1');
      assert.equal(await healthCheckExit(port, { LISTEN_ADDRESS: '0.0.0.0' }), 1, '0.0.0.0 asks 127.0.0.1');
    } finally {
      server.close();
    }
    const every = createServer((_request, response) => response.writeHead(200).end());
    await new Promise<void>((resolve) => every.listen(0, resolve));
    try {
      const { port: everyPort } = every.address() as AddressInfo;
      for (const address of ['', '0.0.0.0', '::', '[::]', '127.0.0.1'])
        assert.equal(await healthCheckExit(everyPort, { LISTEN_ADDRESS: address }), 0, address);
    } finally {
      every.close();
    }
  });

  test('.dockerignore keeps host builds and installs out of the image, and nothing the build copies', () => {
    const ignored = repoFile('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const path of ['node_modules', 'dist', '.git']) assert.ok(ignored.includes(path), path);
    const copied = stages
      .flatMap((stage) => args(stage, 'COPY'))
      .filter((copy) => !copy.startsWith('--from'))
      .flatMap((copy) => copy.split(/\s+/).slice(0, -1));
    assert.ok(copied.includes('src'), 'the build copies src');
    for (const path of copied) {
      const hit = ignored.find((pattern) =>
        pattern.startsWith('*') ? path.endsWith(pattern.slice(1)) : path === pattern,
      );
      assert.equal(hit, undefined, `${path} is copied but ignored by ${hit}`);
    }
  });
});
