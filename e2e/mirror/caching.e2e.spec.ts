import { readFileSync, writeFileSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { http, sha256 } from '@dingo/testing';
import { MiB, startWorld, World } from './fixtures';

function chunkFiles(dataDir: string, blob: string): string[] {
  const dir = join(dataDir, 'chunks', blob.split('-')[1].slice(0, 2), blob);
  return readdirSync(dir).map((f) => join(dir, f));
}

async function until(check: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What makes it a cache: one upstream fetch per byte, resumable pulls, verified content. */
describe('caching behaviour', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ upstreamTimeoutMs: 1500 }, { bandwidthPerConnection: 40 * MiB });
    await w.sim.addRepo({
      type: 'model',
      id: 'org/big',
      commits: [
        {
          files: [
            { path: 'a.safetensors', size: 12 * MiB + 1 },
            { path: 'b.safetensors', size: 5 * MiB },
            { path: 'c.safetensors', size: 4 * MiB },
            { path: 'd.safetensors', size: 3 * MiB + 5 },
          ],
        },
      ],
    });
  });
  afterAll(() => w.close());

  const file = (path: string) => w.sim.repo('model', 'org/big')!.file('main', path)!;

  it('N concurrent clients on a cold file cause exactly one upstream fetch of its bytes', async () => {
    const f = file('a.safetensors');
    w.sim.stats.reset();
    const clients = await Promise.all(
      Array.from({ length: 12 }, () => http(`${w.gateway.url}/org/big/resolve/main/a.safetensors`)),
    );
    for (const res of clients) {
      expect(res.status).toBe(200);
      expect(sha256(res.body)).toBe(f.sha256);
    }
    expect(w.sim.stats.bytesServed({ sha256: f.sha256 })).toBe(f.size);
    // A later pass is served locally.
    w.sim.stats.reset();
    const again = await http(`${w.gateway.url}/org/big/resolve/main/a.safetensors`);
    expect(sha256(again.body)).toBe(f.sha256);
    expect(w.sim.stats.bytesServed({ sha256: f.sha256 })).toBe(0);
    await until(
      async () => (await w.gateway.adapters.meta.getBlob(`sha256-${f.sha256}`))?.state === 'verified',
    );
  });

  it('resumes a pull broken mid-body from the last good byte, fetching nothing twice', async () => {
    const f = file('b.safetensors');
    w.sim.stats.reset();
    const before = w.gateway.mirror.stats().upstreamBytes;
    w.sim.injectFault(new RegExp(f.sha256), { kind: 'reset', afterBytes: 300_000 }, 3);
    const res = await http(`${w.gateway.url}/org/big/resolve/main/b.safetensors`);
    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(f.sha256);
    // Every byte the mirror received it kept: exactly the file, once.
    expect(w.gateway.mirror.stats().upstreamBytes - before).toBe(f.size);
    expect(w.gateway.mirror.stats().pullRetries).toBeGreaterThanOrEqual(3);
    // Each retry asked for the rest of its chunk, not the chunk again. (Upstream may count a few
    // more bytes than the mirror got: what sat in the socket buffer when the connection was reset.)
    const starts = new Map<number, number[]>();
    for (const r of w.sim.stats.requests.filter(
      (q) => q.origin === 'cdn' && q.path.includes(f.sha256) && q.range,
    )) {
      const [from, to] = /bytes=(\d+)-(\d+)/.exec(r.range!)!.slice(1).map(Number);
      starts.set(to, [...(starts.get(to) ?? []), from]);
    }
    const resumed = [...starts.values()].filter((s) => s.length > 1);
    expect(resumed.length).toBeGreaterThan(0);
    for (const s of resumed) for (let i = 1; i < s.length; i++) expect(s[i]).toBeGreaterThan(s[i - 1]);
  });

  it('recovers from upstream 5xx and a stalled connection', async () => {
    const f = file('c.safetensors');
    w.sim.injectFault(new RegExp(f.sha256), { kind: 'status', status: 503 }, 2);
    w.sim.injectFault(new RegExp(f.sha256), { kind: 'stall', afterBytes: 100_000 }, 1);
    const res = await http(`${w.gateway.url}/org/big/resolve/main/c.safetensors`);
    expect(sha256(res.body)).toBe(f.sha256);
  });

  it('detects a sha256 mismatch from upstream, never delivers the wrong file complete, purges the blob', async () => {
    const f = file('d.safetensors');
    const original = readFileSync(f.diskPath);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 3] ^= 0xff; // upstream now serves bytes that do not match its own sha256
    writeFileSync(f.diskPath, tampered);
    const blobKey = `sha256-${f.sha256}`;
    try {
      // The first client too: the tail is held until the blob verifies, then the connection is cut.
      const first = await http(`${w.gateway.url}/org/big/resolve/main/d.safetensors`).catch((e: Error) => e);
      expect(first instanceof Error || first.body.length < f.size).toBe(true);
      await until(() => w.gateway.mirror.stats().verificationFailures > 0);
      expect(w.gateway.mirror.stats().verificationFailures).toBe(1);
      expect((await w.gateway.adapters.meta.getBlob(blobKey))?.state).toBe('corrupt');
      expect(await w.gateway.adapters.meta.listChunks(blobKey)).toEqual([]);
      // And every later client: nothing unverified is served complete from the cache either.
      const second = await http(`${w.gateway.url}/org/big/resolve/main/d.safetensors`).catch((e: Error) => e);
      expect(second instanceof Error || second.body.length < f.size).toBe(true);
    } finally {
      writeFileSync(f.diskPath, original);
    }
    // Upstream repaired: the next request pulls again and verifies.
    const res = await http(`${w.gateway.url}/org/big/resolve/main/d.safetensors`);
    expect(sha256(res.body)).toBe(f.sha256);
    await until(async () => (await w.gateway.adapters.meta.getBlob(blobKey))?.state === 'verified');
  });

  it('never serves a chunk corrupted on disk (it is pulled again mid-stream), and refetches a chunk deleted behind its back', async () => {
    const f = file('a.safetensors');
    const blob = `sha256-${f.sha256}`;
    const chunks = chunkFiles(w.gateway.dataDir, blob).sort();
    const victim = chunks.find((c) => c.endsWith('/1'))!;
    const bytes = readFileSync(victim);
    bytes[10] ^= 0x01;
    writeFileSync(victim, bytes); // bit rot
    w.sim.stats.reset();
    // The rotted block is caught before any of it leaves; the chunk is pulled again and the body continues.
    const healed = await http(`${w.gateway.url}/org/big/resolve/main/a.safetensors`);
    expect(sha256(healed.body)).toBe(f.sha256);
    expect(w.sim.stats.bytesServed({ sha256: f.sha256 })).toBe(MiB);

    unlinkSync(chunkFiles(w.gateway.dataDir, blob).find((c) => c.endsWith('/2'))!);
    w.sim.stats.reset();
    const refetched = await http(`${w.gateway.url}/org/big/resolve/main/a.safetensors`);
    expect(sha256(refetched.body)).toBe(f.sha256);
    expect(w.sim.stats.bytesServed({ sha256: f.sha256 })).toBe(
      statSync(chunkFiles(w.gateway.dataDir, blob).find((c) => c.endsWith('/2'))!).size,
    );
  });

  it('keeps branch names fresh but commits forever, and serves stale metadata offline', async () => {
    const repo = w.sim.repo('model', 'org/model')!;
    await http(`${w.gateway.url}/org/model/resolve/main/config.json`);
    await http(`${w.gateway.url}/api/models/org/model/revision/main`);
    w.sim.stats.reset();
    const warm = await http(`${w.gateway.url}/org/model/resolve/main/config.json`, { method: 'HEAD' });
    expect(warm.headers['x-repo-commit']).toBe(repo.resolve('main')!.sha);
    expect(w.sim.stats.requests.length).toBe(0); // within the revision TTL: no upstream call
    await w.sim.stop();
    try {
      const offline = await http(`${w.gateway.url}/api/models/org/model/revision/main`);
      expect(offline.status).toBe(200);
      expect(JSON.parse(offline.body.toString()).sha).toBe(repo.resolve('main')!.sha);
      const uncached = await http(`${w.gateway.url}/api/models/org/model/revision/v1.0`);
      expect(uncached.status).toBe(503);
      expect(uncached.headers['x-error-code']).toBe('UpstreamUnavailable');
      const file = await http(`${w.gateway.url}/org/model/resolve/main/config.json`);
      expect(file.status).toBe(200);
    } finally {
      await w.sim.restart();
    }
  });
});
