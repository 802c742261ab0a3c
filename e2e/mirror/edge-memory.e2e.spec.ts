import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HubSimulator } from '@dingo/hub-simulator';
import { freePort, tempDir } from '@dingo/testing';
import { request } from 'undici';

const MiB = 1024 * 1024;
const root = join(__dirname, '..', '..');

/** The low-memory configuration documented in apps/mirror-edge/README.md. */
const LOW_MEMORY = {
  DINGO_MEMORY_CACHE: '0',
  DINGO_READ_AHEAD_CHUNKS: '1',
  DINGO_MAX_CONCURRENT_PULLS: '2',
  MALLOC_ARENA_MAX: '2',
  UV_THREADPOOL_SIZE: '2',
  NODE_OPTIONS: '--max-old-space-size=64 --max-semi-space-size=1',
};

/**
 * Regression bounds, not the goal: the goal is 80 MiB RSS, which the edge does not meet
 * yet (measured ~100 MiB idle, ~150-160 MiB serving; see the bench's edge-memory scenario).
 */
const BOUNDS = { idleRss: 128 * MiB, servingRss: 200 * MiB, servingPrivate: 140 * MiB };

function memory(pid: number): { rss: number; private: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (text: string, field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)![1]) * 1024;
  return { rss: kb(status, 'VmRSS'), private: kb(rollup, 'Private_Clean') + kb(rollup, 'Private_Dirty') };
}

/** A compiled app (`npm start` runs dist/), as production runs it. */
async function startCompiled(
  app: string,
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'dist', 'apps', app, 'src', 'main.js')], {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      DINGO_HOST: '127.0.0.1',
      DINGO_PORT: String(port),
      DINGO_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 30_000; ;) {
    if (child.exitCode !== null) throw new Error(`${app} exited ${child.exitCode}: ${log}`);
    try {
      if ((await fetch(`${url}/health`)).status === 200) return { url, child };
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${app} did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function download(url: string): Promise<{ sha256: string; bytes: number }> {
  const res = await request(url);
  expect(res.statusCode).toBe(200);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const part of res.body) {
    hash.update(part);
    bytes += part.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Issue 13 #5: the compiled edge in its low-memory configuration, RSS idle and serving. */
describe('a light edge', () => {
  let sim: HubSimulator;
  const children: ChildProcess[] = [];
  const dirs: Array<{ path: string; cleanup(): void }> = [];
  const dir = () => {
    const d = tempDir('edge-mem');
    dirs.push(d);
    return d.path;
  };
  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(join(root, 'scripts', 'build.js')) as { build(): number }).build();
    sim = await HubSimulator.start({ dataDir: dir() });
    await sim.addRepo({
      type: 'model',
      id: 'org/big',
      commits: [{ files: [{ path: 'big.bin', size: 96 * MiB + 5 }] }],
    });
  }, 180_000);
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await sim?.stop();
    for (const d of dirs) d.cleanup();
  });

  it('stays within its memory bounds at idle and while it serves a large file, cold and warm', async () => {
    const file = sim.repo('model', 'org/big')!.file('main', 'big.bin')!;
    const gateway = await startCompiled('gateway', {
      DINGO_DATA_DIR: dir(),
      DINGO_UPSTREAMS: sim.url,
      DINGO_UPSTREAM_ALLOW_PRIVATE: sim.cdnUrl,
    });
    children.push(gateway.child);
    const edge = await startCompiled('mirror-edge', {
      DINGO_DATA_DIR: dir(),
      DINGO_UPSTREAMS: gateway.url,
      ...LOW_MEMORY,
    });
    children.push(edge.child);
    await new Promise((r) => setTimeout(r, 2000));
    const idle = memory(edge.child.pid!);
    let peak = { rss: 0, private: 0 };
    const sampler = setInterval(() => {
      const m = memory(edge.child.pid!);
      peak = { rss: Math.max(peak.rss, m.rss), private: Math.max(peak.private, m.private) };
    }, 50);
    try {
      for (const pass of ['cold', 'warm']) {
        const got = await download(`${edge.url}/org/big/resolve/main/big.bin`);
        expect({ pass, ...got }).toEqual({ pass, sha256: file.sha256, bytes: file.size });
      }
    } finally {
      clearInterval(sampler);
    }
    console.log(
      `edge (low-memory, compiled): idle RSS ${(idle.rss / MiB).toFixed(1)} MiB (private ${(idle.private / MiB).toFixed(1)}), ` +
        `peak serving RSS ${(peak.rss / MiB).toFixed(1)} MiB (private ${(peak.private / MiB).toFixed(1)})`,
    );
    expect(idle.rss).toBeLessThanOrEqual(BOUNDS.idleRss);
    expect(peak.rss).toBeLessThanOrEqual(BOUNDS.servingRss);
    expect(peak.private).toBeLessThanOrEqual(BOUNDS.servingPrivate);
  }, 180_000);
});
