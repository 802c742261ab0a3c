// XetMirror against the simulator speaking upstream Xet: integrity, ranges, single-flight, and
// upstream presigned URLs that expire (no Nest, no Python: the service layer directly).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FsChunkStore } from '@dingo/chunk-store';
import { loadConfig } from '@dingo/config';
import { HubError } from '@dingo/hub-protocol';
import { HubSimulator, type SimOptions } from '@dingo/hub-simulator';
import { tempDir } from '@dingo/testing';
import { UpstreamHttp, UpstreamRouter } from '@dingo/upstream';
import { decodeChunks, normalizeReconstruction } from '@dingo/xet';
import { CasTokens } from './cas-tokens';
import { XetMirror } from './xet-mirror';
import { MemoryXetIndex } from './xet-index';

const MiB = 1024 * 1024;
const REPO = { type: 'model' as const, id: 'org/m' };

async function world(simOpts: Partial<SimOptions> = {}) {
  const dir = tempDir('xetmirror');
  const simDir = join(dir.path, 'sim');
  const sim = await HubSimulator.start({ dataDir: simDir, xetXorbBytes: MiB, ...simOpts });
  await sim.addRepo({
    ...REPO,
    commits: [{ files: [{ path: 'w.bin', size: 3 * MiB + 777, xet: true }] }],
  });
  const http = new UpstreamHttp({ timeoutMs: 5000 });
  const config = loadConfig(
    {},
    { dataDir: join(dir.path, 'mirror'), upstreams: [sim.url], xet: { mode: 'serve' } },
  );
  const xet = new XetMirror(config, {
    store: new FsChunkStore(join(dir.path, 'mirror', 'chunks')),
    upstream: new UpstreamRouter(http, [sim.url]),
    index: new MemoryXetIndex(),
  });
  const file = sim.repo('model', 'org/m')!.file('main', 'w.bin')!;
  const content = await readFile(file.diskPath);
  const { accessToken } = await xet.issueToken(REPO, 'main', undefined, 'http://mirror');
  const claims = xet.tokens.open(accessToken)!;
  const reconstruct = async (range?: { start: number; end: number }) =>
    normalizeReconstruction(
      await xet.cas.reconstruction(file.xetHash!, claims, accessToken, range, 1, 'http://mirror/xet-cas'),
    );
  const fetchRange = async (f: { url: string; bytes: { start: number; end: number } }) => {
    const u = new URL(f.url);
    const [, , , xorb, chunks] = u.pathname.split('/');
    const [a, b] = chunks.split('-').map(Number);
    const q = u.searchParams;
    const answer = await xet.cas.xorb(
      { xorb, chunkStart: a, chunkEnd: b, fileHash: q.get('f')!, token: q.get('t')!, signature: q.get('s')! },
      `bytes=${f.bytes.start}-${f.bytes.end}`,
    );
    const parts: Buffer[] = [];
    for await (const p of answer.body) parts.push(p as Buffer);
    return Buffer.concat(parts);
  };
  /** The file's bytes [start, end) as a Xet client rebuilds them from the mirror. */
  const rebuild = async (range?: { start: number; end: number }) => {
    const r = await reconstruct(range);
    const out: Buffer[] = [];
    for (const t of r.terms) {
      const f = r.fetches.find(
        (x) => x.xorb === t.hash && x.chunks.start <= t.range.start && t.range.end <= x.chunks.end,
      )!;
      const chunks = decodeChunks(await fetchRange(f)).map((c) => c.data);
      out.push(...chunks.slice(t.range.start - f.chunks.start, t.range.end - f.chunks.start));
    }
    const all = Buffer.concat(out).subarray(r.offsetIntoFirstRange);
    return range ? all.subarray(0, range.end - range.start) : all;
  };
  return {
    sim,
    simDir,
    xet,
    file,
    content,
    reconstruct,
    fetchRange,
    rebuild,
    async close() {
      await xet.close();
      await http.close();
      await sim.stop();
      dir.cleanup();
    },
  };
}

describe('XetMirror', () => {
  it('rebuilds whole files and ranges from what it serves; verifies the file; second time from its store', async () => {
    const w = await world();
    try {
      expect((await w.rebuild()).equals(w.content)).toBe(true);
      expect((await w.xet.index.getFile(w.file.xetHash!))?.verified).toBe(true);
      w.sim.stats.reset();
      expect(
        (await w.rebuild({ start: 1_000_000, end: 2_500_000 })).equals(
          w.content.subarray(1_000_000, 2_500_000),
        ),
      ).toBe(true);
      expect(w.sim.stats.bytesServed()).toBe(0);
      expect(w.sim.stats.requests).toEqual([]);
      await expect(
        w.reconstruct({ start: w.content.length, end: w.content.length + 10 }),
      ).rejects.toMatchObject({ status: 416 });
    } finally {
      await w.close();
    }
  });

  it('coalesces concurrent requests for one xorb range into one upstream fetch', async () => {
    const w = await world();
    try {
      const r = await w.reconstruct();
      const f = r.fetches[0];
      const bodies = await Promise.all(Array.from({ length: 8 }, () => w.fetchRange(f)));
      expect(new Set(bodies.map((b) => b.toString('base64'))).size).toBe(1);
      expect(w.sim.stats.count({ origin: 'cdn', pathIncludes: `/xorbs/default/${f.xorb}` })).toBe(1);
    } finally {
      await w.close();
    }
  });

  it('refuses and forgets bytes that do not hash to the file (corrupt upstream), then recovers', async () => {
    const w = await world({ xetCompression: 'none' });
    try {
      const r = await w.reconstruct();
      const victim = r.fetches[r.fetches.length - 1];
      const xorbPath = join(w.simDir, 'xorbs', victim.xorb); // the simulator's stored xorb
      const original = await readFile(xorbPath);
      const bad = Buffer.from(original);
      bad[victim.bytes.start + 100] ^= 0xff; // inside the first chunk's data (uncompressed)
      await writeFile(xorbPath, bad);
      for (const f of r.fetches.slice(0, -1)) await w.fetchRange(f);
      const err = await w.fetchRange(victim).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubError);
      expect((err as HubError).code).toBe('IntegrityError');
      expect(
        await w.xet.ranges.covering(victim.xorb, victim.chunks.start, victim.chunks.end),
      ).toBeUndefined();
      await writeFile(xorbPath, original);
      expect((await w.rebuild()).equals(w.content)).toBe(true);
      expect((await w.xet.index.getFile(w.file.xetHash!))?.verified).toBe(true);
    } finally {
      await w.close();
    }
  });

  it('retries a xorb range whose upstream transfer broke off (resume at range granularity)', async () => {
    const w = await world();
    try {
      w.sim.injectFault(/\/xorbs\/default\//, { kind: 'reset', afterBytes: 10_000 }, 2);
      expect((await w.rebuild()).equals(w.content)).toBe(true);
      expect(w.sim.stats.requests.filter((q) => q.origin === 'cdn').length).toBeGreaterThan(
        new Set(w.sim.stats.requests.filter((q) => q.origin === 'cdn').map((q) => q.path)).size,
      );
    } finally {
      await w.close();
    }
  });

  it('asks upstream for fresh presigned URLs when the old ones expired', async () => {
    const w = await world({ cdnUrlTtlSeconds: 1 });
    try {
      const r = await w.reconstruct();
      await new Promise((res) => setTimeout(res, 1100));
      expect((await w.rebuild()).equals(w.content)).toBe(true);
      expect(w.sim.stats.count({ origin: 'cas', pathIncludes: '/v1/reconstructions/' })).toBeGreaterThan(1);
      expect(w.sim.stats.requests.some((q) => q.origin === 'cdn' && q.status === 403)).toBe(true);
      expect(r.fetches.length).toBeGreaterThan(0);
    } finally {
      await w.close();
    }
  });
});

describe('CasTokens', () => {
  const tokens = new CasTokens('x'.repeat(40), 600);
  it('seals claims: readable only with the secret, refused when tampered or expired', () => {
    const { token, exp } = tokens.issue(
      { type: 'model', id: 'o/m', rev: 'main', up: 'Bearer hf_secret' },
      1_000_000,
    );
    expect(token).not.toContain('hf_secret');
    expect(tokens.open(token, 1_000_000)).toEqual({
      type: 'model',
      id: 'o/m',
      rev: 'main',
      up: 'Bearer hf_secret',
      exp,
    });
    expect(tokens.open(token, (exp + 1) * 1000)).toBeUndefined();
    expect(new CasTokens('y'.repeat(40), 600).open(token, 1_000_000)).toBeUndefined();
    const flipped = token.slice(0, -3) + (token.endsWith('A') ? 'BAA' : 'AAA');
    expect(tokens.open(flipped, 1_000_000)).toBeUndefined();
    expect(tokens.fromAuthorization(`Bearer ${token}`)).toBeUndefined(); // issued at t=1e6 ms: long expired now
  });
});
