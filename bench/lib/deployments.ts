import { ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformFileSync } from '@swc/core';
import { IpcClient } from './ipc';
import { captureOutput, freePort, LOOPBACK, stopChild, waitForHttp } from './processes';

/** A running mirror the scenarios talk to over HTTP, whatever processes make it up. */
export interface MirrorDeployment {
  readonly mode: DeploymentMode;
  /** Base URL of the HF-compatible API (the gateway). */
  readonly url: string;
  /** Every process of the deployment (RSS is summed over them). */
  readonly pids: number[];
  /** The process that serves HTTP: the one profiled. */
  readonly frontPid: number;
  /** Distributed mode: the S3 server holding the chunks (its process is one of `pids`). */
  readonly s3?: { url: string; pid: number };
  startProfile(): Promise<void>;
  /** Writes the profile of the window since startProfile() to `path`. */
  stopProfile(path: string): Promise<void>;
  /** The last lines the front process wrote (stdout and stderr): why a transfer failed. */
  output(): string;
  stop(): Promise<void>;
}

export type DeploymentMode = 'embedded' | 'distributed';

export interface DeploymentOptions {
  repoRoot: string;
  /** Upstream hub origin (the simulator). */
  upstream: string;
  /** The simulator's other origins (CDN, Xet CAS): on loopback, so the mirror must be told it may fetch from them. */
  trustedOrigins: string[];
  /** Fresh directory for a cold mirror, an existing one for a warm restart. */
  dataDir: string;
  /** Extra DINGO_* settings for this deployment (e.g. DINGO_XET_MODE). */
  env?: Record<string, string>;
}

/** Thrown when a mode cannot be started on this checkout/machine: reported as "skipped", never faked. */
export class DeploymentUnavailable extends Error {}

let compiled: { preload: string } | undefined;

/**
 * What `npm start` runs: the sources compiled to dist/ by scripts/build.js (incremental), plus the
 * bench preload compiled once into the temp dir, so no compiler sits in a measured process.
 */
function compileOnce(repoRoot: string): { preload: string } {
  if (compiled) return compiled;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require(join(repoRoot, 'scripts', 'build.js')) as { build(): number }).build();
  const preload = join(tmpdir(), `dingo-bench-preload-${process.pid}.js`);
  const source = join(__dirname, 'gateway-preload.ts');
  const swcrc = join(repoRoot, '.swcrc');
  writeFileSync(preload, transformFileSync(source, { filename: source, configFile: swcrc }).code);
  return (compiled = { preload });
}

/** The flags `npm start` gives node (package.json's start script), so a measured process runs as it would. */
function startNodeFlags(repoRoot: string): string[] {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  return pkg.scripts.start.split(/\s+/).filter((word) => word.startsWith('--'));
}

/** One Node process of a deployment, started like `npm start` (compiled JS) plus the bench preload. */
class MirrorProcess {
  readonly ipc: IpcClient;
  readonly output: () => string;

  private constructor(readonly child: ChildProcess) {
    this.ipc = new IpcClient(child, 'gateway');
    this.output = captureOutput(child);
  }

  static spawn(repoRoot: string, mainTs: string, env: NodeJS.ProcessEnv): MirrorProcess {
    const { preload } = compileOnce(repoRoot);
    const mainJs = join('dist', mainTs.replace(/\.ts$/, '.js'));
    const child = spawn(process.execPath, [...startNodeFlags(repoRoot), '-r', preload, mainJs], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new MirrorProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  stop(): Promise<void> {
    return stopChild(this.child, () => void this.ipc.call('exit').catch(() => undefined));
  }
}

/** Environment for a mirror process: the caller's DINGO_* tuning passes through, addresses are ours. */
function mirrorEnv(opts: DeploymentOptions, port: number, mode: DeploymentMode): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DINGO_MODE: mode,
    DINGO_HOST: LOOPBACK,
    DINGO_PORT: String(port),
    DINGO_DATA_DIR: opts.dataDir,
    DINGO_UPSTREAMS: opts.upstream,
    DINGO_UPSTREAM_ALLOW_PRIVATE: opts.trustedOrigins.join(','),
    DINGO_LOG_LEVEL: process.env.DINGO_LOG_LEVEL || 'warn',
    ...opts.env,
  };
}

function deploymentOf(
  mode: DeploymentMode,
  url: string,
  front: MirrorProcess,
  all: MirrorProcess[],
  s3?: { url: string; pid: number },
): MirrorDeployment {
  return {
    mode,
    url,
    pids: [...all.map((p) => p.pid), ...(s3 ? [s3.pid] : [])],
    frontPid: front.pid,
    s3,
    startProfile: () => front.ipc.call('profile-start'),
    stopProfile: (path) => front.ipc.call('profile-stop', { path }),
    output: () => front.output(),
    stop: async () => {
      // Front first, so no request reaches a half-stopped back end.
      for (const p of [front, ...all.filter((x) => x !== front)]) await p.stop();
    },
  };
}

/** Embedded mode: the gateway alone (SQLite, local disk, in-process queue), `npm start` style. */
export async function startEmbedded(opts: DeploymentOptions): Promise<MirrorDeployment> {
  mkdirSync(opts.dataDir, { recursive: true });
  const port = await freePort();
  const gateway = MirrorProcess.spawn(
    opts.repoRoot,
    'apps/gateway/src/main.ts',
    mirrorEnv(opts, port, 'embedded'),
  );
  const url = `http://${LOOPBACK}:${port}`;
  try {
    await waitForHttp(`${url}/health`, gateway.child, gateway.output);
  } catch (err) {
    await gateway.stop();
    throw err;
  }
  return deploymentOf('embedded', url, gateway, [gateway]);
}

/**
 * Distributed mode, laid out like e2e/distributed/cluster.ts: metadata, sync-worker and gateway
 * processes with DINGO_MODE=distributed on the machine's Redis (DINGO_BENCH_REDIS_URL, default
 * redis://127.0.0.1:6379/0) and MariaDB (a throwaway database), with s3rver as the chunk store in a
 * process of its own. A unique namespace and bucket per start keep every deployment cold. RSS and
 * CPU are summed over all four processes; the gateway is the one profiled.
 */
export async function startDistributed(opts: DeploymentOptions): Promise<MirrorDeployment> {
  const apps = ['apps/metadata/src/main.ts', 'apps/sync-worker/src/main.ts', 'apps/gateway/src/main.ts'];
  const missing = apps.filter((p) => !existsSync(join(opts.repoRoot, p)));
  if (missing.length)
    throw new DeploymentUnavailable(`distributed mode not available (missing ${missing.join(', ')})`);
  const redisUrl = process.env.DINGO_BENCH_REDIS_URL || 'redis://127.0.0.1:6379/0';
  await assertRedisReachable(redisUrl);
  const namespace = `bench${process.pid}n${++distributedSeq}`;
  let db: { url: string; drop: () => Promise<void> };
  try {
    const { tempMysqlDatabase } = await import('@dingo/test-infra');
    db = await tempMysqlDatabase(`dingo_${namespace}`);
  } catch (err) {
    throw new DeploymentUnavailable(
      `distributed mode needs MariaDB/MySQL on 127.0.0.1:3306 (${(err as Error).message})`,
    );
  }
  const s3Child = fork(join(__dirname, 's3-process.ts'), [], {
    cwd: opts.repoRoot,
    execArgv: ['-r', '@swc-node/register'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const s3 = new IpcClient(s3Child, 's3rver');
  const started: MirrorProcess[] = [];
  const stopInfra = async () => {
    await stopChild(s3Child, () => void s3.call('stop').catch(() => undefined));
    await db.drop().catch(() => undefined);
  };
  try {
    const s3Url = await s3.call<string>('start', { bucket: `chunks-${namespace}` });
    const secret = randomBytes(32).toString('hex');
    const env = async (name: string) => {
      const dataDir = join(opts.dataDir, name);
      mkdirSync(dataDir, { recursive: true });
      return {
        ...mirrorEnv({ ...opts, dataDir }, await freePort(), 'distributed'),
        DINGO_DB_TYPE: 'mysql',
        DINGO_DB_URL: db.url,
        DINGO_REDIS_URL: redisUrl,
        DINGO_S3_URL: s3Url,
        DINGO_NAMESPACE: namespace,
        DINGO_JWT_SECRET: secret,
        DINGO_ADMIN_PASSWORD: secret,
      };
    };
    const urlOf = (e: NodeJS.ProcessEnv) => `http://${LOOPBACK}:${e.DINGO_PORT}`;
    // Metadata first (it runs the migrations), then the worker, then the front door.
    for (const [i, main] of apps.entries()) {
      const e = await env(['metadata', 'sync-worker', 'gateway'][i]);
      const p = MirrorProcess.spawn(opts.repoRoot, main, e);
      started.push(p);
      await waitForHttp(`${urlOf(e)}/health`, p.child, p.output);
      if (i === apps.length - 1) {
        const deployment = deploymentOf('distributed', urlOf(e), p, started, {
          url: s3Url,
          pid: s3Child.pid!,
        });
        const stop = deployment.stop;
        return { ...deployment, stop: () => stop().finally(stopInfra) };
      }
    }
    throw new Error('unreachable');
  } catch (err) {
    for (const p of started.reverse()) await p.stop();
    await stopInfra();
    throw err;
  }
}

let distributedSeq = 0;

/** A PING answered, or DeploymentUnavailable saying where Redis was looked for. */
async function assertRedisReachable(url: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // The socket's own error (ECONNREFUSED...) says more than the rejection ("Connection is closed.").
  let cause: Error | undefined;
  client.on('error', (err: Error) => (cause ??= err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    const why = (cause ?? (err as Error)).message;
    throw new DeploymentUnavailable(`distributed mode needs Redis at ${url} (${why})`);
  } finally {
    client.disconnect();
  }
}

export const LAUNCHERS: Record<DeploymentMode, (opts: DeploymentOptions) => Promise<MirrorDeployment>> = {
  embedded: startEmbedded,
  distributed: startDistributed,
};

/** A mirror-edge process (compiled, like `npm start -- mirror-edge`) in front of a gateway. */
export interface EdgeProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): void;
}

/** Starts a compiled edge whose only upstream is `gateway`; `env` adds DINGO_* (peers, low memory) and NODE_OPTIONS. */
export async function startEdge(opts: {
  repoRoot: string;
  gateway: string;
  dataDir: string;
  port?: number;
  env?: Record<string, string>;
}): Promise<EdgeProcess> {
  mkdirSync(opts.dataDir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const edge = MirrorProcess.spawn(opts.repoRoot, 'apps/mirror-edge/src/main.ts', {
    ...process.env,
    DINGO_MODE: 'embedded',
    DINGO_HOST: LOOPBACK,
    DINGO_PORT: String(port),
    DINGO_DATA_DIR: opts.dataDir,
    DINGO_UPSTREAMS: opts.gateway,
    DINGO_LOG_LEVEL: process.env.DINGO_LOG_LEVEL || 'warn',
    ...opts.env,
  });
  const url = `http://${LOOPBACK}:${port}`;
  try {
    await waitForHttp(`${url}/health`, edge.child, edge.output);
  } catch (err) {
    await edge.stop();
    throw err;
  }
  return { url, pid: edge.pid, stop: () => edge.stop(), kill: () => void edge.child.kill('SIGKILL') };
}
