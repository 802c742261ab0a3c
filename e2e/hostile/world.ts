import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, IncomingHttpHeaders, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DingoConfigInput } from '@dingo/config';
import { GatewayModule } from '@dingo/gateway';
import { HubSimulator, SimFileInfo, SimFileSpec, SimRepo } from '@dingo/hub-simulator';
import { RunningGateway, startEmbeddedGateway, tempDir } from '@dingo/testing';

export const MiB = 1024 * 1024;
/** HF tokens the simulator knows: one approved for the gated and private repos, one not. */
export const HF_APPROVED = 'hf_approved_reader';
export const HF_OTHER = 'hf_unapproved_other';
export const ADMIN_PASSWORD = 'hostile-suite-admin-password';
export const JWT_SECRET = 'hostile-suite-jwt-secret-0123456789-abcdef';
export const REPO_ROOT = join(__dirname, '..', '..');

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The connection ended with an error (reset, cut short, timeout) before the body was complete. */
  error?: Error;
  ms: number;
  text(): string;
  json(): any;
}

/**
 * One request on a fresh connection with the path and headers exactly as given (no URL
 * normalisation, any Host); resolves (never rejects) with whatever arrived.
 */
export function call(
  base: string,
  path: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    timeoutMs?: number;
  } = {},
): Promise<Reply> {
  const started = performance.now();
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    let settled = false;
    const done = (error?: Error) => {
      if (settled) return;
      settled = true;
      const body = Buffer.concat(chunks);
      resolve({
        status,
        headers,
        body,
        error,
        ms: performance.now() - started,
        text: () => body.toString('utf8'),
        json: () => JSON.parse(body.toString('utf8')),
      });
    };
    const req = request(
      { hostname, port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false },
      (res) => {
        status = res.statusCode ?? 0;
        headers = res.headers;
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(res.complete ? undefined : new Error('response cut short')));
        res.on('error', (e) => done(e));
        res.on('aborted', () => done(new Error('aborted')));
        res.on('close', () => done(res.complete ? undefined : new Error('connection closed mid-body')));
      },
    );
    req.on('error', (e) => done(e));
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error('client timeout')));
    req.end(opts.body);
  });
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function until(
  check: () => Promise<boolean> | boolean,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Waits until no chunk pull is in flight. A failed pull lingers a moment after its client got the
 * error (see the faults group: a request in that moment meets the failed pull); cases about other
 * things wait it out.
 */
export function pullsSettled(g: RunningGateway): Promise<void> {
  return until(() => g.mirror.stats().pullsInFlight === 0, 10_000, 'pulls settled');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The upstream simulator with the repos every group uses, and an embedded gateway in front of it. */
export async function startWorld(
  overrides: DingoConfigInput = {},
  simOptions: { bandwidthPerConnection?: number } = {},
) {
  const simDir = tempDir('hostile-sim');
  const sim = await HubSimulator.start({
    dataDir: simDir.path,
    treePageSize: 3,
    tokens: {
      [HF_APPROVED]: { user: 'alice', approved: ['org/gated', 'org/private'] },
      [HF_OTHER]: { user: 'bob' },
    },
    ...simOptions,
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/model',
    commits: [
      {
        files: [
          { path: 'config.json', content: JSON.stringify({ model_type: 'llama', hidden_size: 64 }) },
          { path: 'tokenizer.json', size: 300_000, lfs: false },
          { path: 'model.safetensors', size: 2 * MiB + 4321 },
          { path: 'nested/deeper/weights.bin', size: 300_000 },
          { path: 'README.md', content: '# model\n' },
          { path: 'generation_config.json', content: '{"do_sample":false}' },
        ],
      },
    ],
    tags: { 'v1.0': 0 },
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/gated',
    gated: 'auto',
    commits: [
      {
        files: [
          { path: 'config.json', content: '{"gated": true}' },
          { path: 'weights.safetensors', size: 400_000 },
        ],
      },
    ],
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/private',
    private: true,
    commits: [{ files: [{ path: 'config.json', content: '{"private": true}' }] }],
  });
  const gateways: RunningGateway[] = [];
  const startGateway = async (more: DingoConfigInput = {}): Promise<RunningGateway> => {
    const gateway = await startEmbeddedGateway((config) => GatewayModule.forConfig(config), {
      upstreams: [sim.url],
      upstreamAllowPrivate: [sim.cdnUrl],
      chunkSizeBytes: 1 * MiB,
      upstreamTimeoutMs: 3000,
      upstreamRetries: 2,
      scrubBytesPerSec: 0,
      minFreeBytes: 0,
      ...overrides,
      ...more,
      auth: { adminPassword: ADMIN_PASSWORD, jwtSecret: JWT_SECRET, ...overrides.auth, ...more.auth },
    });
    gateways.push(gateway);
    return gateway;
  };
  const gateway = await startGateway();
  let repoSeq = 0;
  const world = {
    sim,
    gateway,
    url: gateway.url,
    startGateway,
    /** GET/HEAD/... against the main gateway. */
    call: (path: string, opts: Parameters<typeof call>[2] = {}) => call(gateway.url, path, opts),
    /** A repo of its own for a test that damages things: its contents are unique (seeded by its id). */
    async freshRepo(
      files: SimFileSpec[],
      name = 'fresh',
    ): Promise<SimRepo & { f(path: string): SimFileInfo }> {
      const id = `org/${name}-${++repoSeq}-${randomBytes(3).toString('hex')}`;
      const repo = await sim.addRepo({ type: 'model', id, commits: [{ files }] });
      return Object.assign(repo, { f: (path: string) => repo.file('main', path)! });
    },
    file(path: string, id = 'org/model'): SimFileInfo {
      return sim.repo('model', id)!.file('main', path)!;
    },
    commit(id = 'org/model'): string {
      return sim.repo('model', id)!.resolve('main')!.sha;
    },
    async close() {
      for (const g of gateways.reverse()) await g.close();
      await sim.stop();
      simDir.cleanup();
    },
  };
  return world;
}

export type World = Awaited<ReturnType<typeof startWorld>>;

/** Where the fs chunk store keeps chunk `index` of a blob. */
export function chunkPath(dataDir: string, blobKey: string, index: number): string {
  return join(dataDir, 'chunks', blobKey.split('-')[1].slice(0, 2), blobKey, String(index));
}

/** Bit rot: flips one byte in place and puts atime/mtime back to the nanosecond, as real rot leaves them. */
export function flipByteKeepingTimes(path: string, offset: number): void {
  const st = statSync(path, { bigint: true });
  const bytes = readFileSync(path);
  bytes[offset] ^= 0x01;
  writeFileSync(path, bytes);
  const stamp = (ns: bigint) => `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
  execFileSync('touch', ['-m', '-d', stamp(st.mtimeNs), path]);
  execFileSync('touch', ['-a', '-d', stamp(st.atimeNs), path]);
  const after = statSync(path, { bigint: true });
  if (after.mtimeNs !== st.mtimeNs || after.size !== st.size)
    throw new Error(`could not restore the mtime of ${path}`);
}

/**
 * An internal HTTP service on loopback (IPv4 and IPv6): what an SSRF would reach. It records every
 * request that got through, and answers with a secret no client may ever see.
 */
export async function startInternalService(): Promise<{
  port: number;
  secret: string;
  requests: string[];
  close(): Promise<void>;
}> {
  const secret = `TOP-SECRET-${randomBytes(8).toString('hex')}`;
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    res.end(secret.repeat(64));
  });
  await new Promise<void>((resolve) => server.listen(0, '::', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    secret,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An app's main as its own process, for start-up behaviour (refusals, messages, crashes). */
export interface AppProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name); rejects if it is still running after `ms`. */
  exit(ms?: number): Promise<number | string>;
  kill(): void;
}

export function spawnApp(app: 'gateway' | 'metadata', env: Record<string, string>): AppProcess {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(REPO_ROOT, 'apps', app, 'src', 'main.ts')],
    {
      cwd: REPO_ROOT,
      env: { ...cleanEnv(), DINGO_HOST: '127.0.0.1', DINGO_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    child,
    output: () => log,
    exit: (ms = 30_000) => {
      let timer: NodeJS.Timeout | undefined;
      const overdue = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${app} still running after ${ms} ms:\n${log}`));
        }, ms);
      });
      return Promise.race([exited, overdue]).finally(() => clearTimeout(timer));
    },
    kill: () => void child.kill('SIGKILL'),
  };
}

/** The test runner's environment without DINGO_* settings that would leak into the app under test. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('DINGO_') && v !== undefined) env[k] = v;
  return env;
}

/** A small tmpfs (you are root on CI): a data directory whose disk really fills up. */
export function mountTmpfs(sizeBytes: number): { path: string; unmount(): void } {
  const path = mkdtempSync(join(tmpdir(), 'dingo-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', path], {
      stdio: 'pipe',
    });
  } catch (err) {
    rmSync(path, { recursive: true, force: true });
    throw new Error(
      `The disk-full cases need a real full disk: mounting a tmpfs on ${path} failed (${(err as Error).message}). ` +
        'Run this suite as root (CI does), or where mount(8) of tmpfs is permitted.',
    );
  }
  return {
    path,
    unmount() {
      execFileSync('umount', ['-l', path], { stdio: 'pipe' });
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Fills a filesystem until about `leaveBytes` remain free; returns the filler's path. */
export function fillDisk(dir: string, leaveBytes: number): string {
  const filler = join(dir, `filler-${randomBytes(3).toString('hex')}`);
  const n = Math.max(0, freeBytes(dir) - leaveBytes);
  writeFileSync(filler, Buffer.alloc(n));
  return filler;
}

export function freeBytes(dir: string): number {
  const st = statfsSync(dir);
  return st.bavail * st.bsize;
}

export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}
