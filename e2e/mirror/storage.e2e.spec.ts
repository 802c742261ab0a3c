import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { http, sha256, tempDir } from '@dingo/testing';
import { MiB, startWorld, World } from './fixtures';

const ADMIN_PASSWORD = 'storage-admin-password-0123';

async function until(check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** JSON-shaped text: what tokenizer and config files look like (compresses well). */
function jsonText(bytes: number): Buffer {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const part = `"tok_${i % 20000}":${i},`;
    parts.push(part);
    n += part.length;
  }
  return Buffer.from(`{${parts.join('')}`.slice(0, bytes));
}

/** The cache manages its own disk: quota with LRU eviction, pins, hot and cold tiers with zstd. */
describe('storage policy', () => {
  describe('quota', () => {
    let w: World;
    let session: string;
    beforeAll(async () => {
      w = await startWorld({
        maxCacheBytes: 10 * MiB,
        evictionGraceSeconds: 0,
        storageCheckSeconds: 1,
        minFreeBytes: 0,
        auth: { adminPassword: ADMIN_PASSWORD },
      });
      await w.sim.addRepo({
        type: 'model',
        id: 'org/quota',
        commits: [
          {
            files: [
              { path: 'a.safetensors', size: 4 * MiB },
              { path: 'b.safetensors', size: 4 * MiB },
              { path: 'c.safetensors', size: 4 * MiB },
            ],
          },
        ],
      });
      await w.sim.addRepo({
        type: 'model',
        id: 'org/keep',
        commits: [{ files: [{ path: 'k.safetensors', size: 4 * MiB }] }],
      });
      const login = await http(`${w.gateway.url}/admin/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
      });
      session = JSON.parse(login.body.toString()).accessToken;
    });
    afterAll(() => w.close());

    const file = (repo: string, path: string) => w.sim.repo('model', repo)!.file('main', path)!;
    const stored = async (repo: string, path: string) =>
      (await w.gateway.adapters.meta.listChunks(`sha256-${file(repo, path).sha256}`)).length;
    const admin = (method: string, path: string) =>
      http(`${w.gateway.url}${path}`, { method, headers: { authorization: `Bearer ${session}` } });

    it('evicts the least recently read chunks when over the quota; evicted files come back on demand', async () => {
      for (const f of ['a', 'b', 'c']) {
        const res = await http(`${w.gateway.url}/org/quota/resolve/main/${f}.safetensors`);
        expect(sha256(res.body)).toBe(file('org/quota', `${f}.safetensors`).sha256);
        await new Promise((r) => setTimeout(r, 20)); // distinct last-access times
      }
      await w.gateway.mirror.enforceStorage();
      await until(async () => (await stored('org/quota', 'a.safetensors')) < 4);
      expect(await stored('org/quota', 'c.safetensors')).toBe(4);
      const usage = await w.gateway.mirror.storageUsage();
      expect(usage.reduce((n, u) => n + u.bytes, 0)).toBeLessThanOrEqual(10 * MiB);
      // Evicted bytes are pulled again when asked for.
      w.sim.stats.reset();
      const again = await http(`${w.gateway.url}/org/quota/resolve/main/a.safetensors`);
      expect(sha256(again.body)).toBe(file('org/quota', 'a.safetensors').sha256);
      expect(w.sim.stats.bytesServed({ sha256: file('org/quota', 'a.safetensors').sha256 })).toBeGreaterThan(
        0,
      );
      expect(w.gateway.mirror.stats().storage.evictedChunks).toBeGreaterThan(0);
    });

    it('never evicts a pinned repo, and reports usage per repo with dedup figures', async () => {
      const pin = await admin('PUT', '/admin/v1/cache/pins/models/org/keep');
      expect(pin.status).toBe(200);
      await http(`${w.gateway.url}/org/keep/resolve/main/k.safetensors`);
      await new Promise((r) => setTimeout(r, 20));
      for (const f of ['b', 'c', 'a']) await http(`${w.gateway.url}/org/quota/resolve/main/${f}.safetensors`);
      const evicted = await admin('POST', '/admin/v1/cache/evict');
      expect(evicted.status).toBe(200);
      expect(await stored('org/keep', 'k.safetensors')).toBe(4); // oldest, but pinned
      const pins = JSON.parse((await admin('GET', '/admin/v1/cache/pins')).body.toString());
      expect(pins).toEqual([expect.objectContaining({ repoType: 'model', repoId: 'org/keep' })]);
      const usage = JSON.parse((await admin('GET', '/admin/v1/cache/usage')).body.toString());
      expect(usage.storedBytes).toBeLessThanOrEqual(10 * MiB);
      const keep = usage.repos.find((r: { id: string }) => r.id === 'org/keep');
      expect(keep).toMatchObject({
        type: 'model',
        files: 1,
        logicalBytes: 4 * MiB,
        storedBytes: 4 * MiB,
        pinned: true,
      });
      expect(usage.dedup.savedBytes).toBeGreaterThanOrEqual(0);
      // A reader may not run eviction rounds or see the usage.
      expect((await http(`${w.gateway.url}/admin/v1/cache/evict`, { method: 'POST' })).status).toBe(401);
      expect((await admin('DELETE', '/admin/v1/cache/pins/models/org/keep')).status).toBe(200);
      expect((await admin('DELETE', '/admin/v1/cache/pins/models/org/keep')).status).toBe(404);
    });

    it('does not break a download in progress', async () => {
      await w.sim.addRepo({
        type: 'model',
        id: 'org/slow',
        commits: [{ files: [{ path: 's.safetensors', size: 8 * MiB }] }],
      });
      const s = w.sim.repo('model', 'org/slow')!.file('main', 's.safetensors')!;
      // The client reads slowly: the blob is held while it streams, whatever the quota says.
      const reading = http(`${w.gateway.url}/org/slow/resolve/main/s.safetensors`);
      await until(async () => (await w.gateway.adapters.meta.listChunks(`sha256-${s.sha256}`)).length >= 2);
      for (const f of ['a', 'b', 'c']) await http(`${w.gateway.url}/org/quota/resolve/main/${f}.safetensors`);
      await w.gateway.mirror.enforceStorage();
      const res = await reading;
      expect(sha256(res.body)).toBe(s.sha256);
    });
  });

  describe('hot and cold tiers', () => {
    let w: World;
    const cold = tempDir('cold-tier');
    const config = jsonText(3 * MiB);
    beforeAll(async () => {
      w = await startWorld({
        coldTier: { dir: cold.path, hotBytes: 2 * MiB, promoteAfterReads: 2 },
        evictionGraceSeconds: 0,
        storageCheckSeconds: 1,
        minFreeBytes: 0,
      });
      await w.sim.addRepo({
        type: 'model',
        id: 'org/tiers',
        commits: [
          {
            files: [
              { path: 'tokenizer.json', content: config, lfs: true },
              { path: 'weights.safetensors', size: 3 * MiB },
            ],
          },
        ],
      });
    });
    afterAll(async () => {
      await w.close();
      cold.cleanup();
    });

    it('demotes by last access (compressing what pays), serves both tiers with identical bytes, promotes on reads', async () => {
      const tokenizer = w.sim.repo('model', 'org/tiers')!.file('main', 'tokenizer.json')!;
      const weights = w.sim.repo('model', 'org/tiers')!.file('main', 'weights.safetensors')!;
      expect(sha256((await http(`${w.gateway.url}/org/tiers/resolve/main/tokenizer.json`)).body)).toBe(
        tokenizer.sha256,
      );
      await new Promise((r) => setTimeout(r, 20));
      expect(sha256((await http(`${w.gateway.url}/org/tiers/resolve/main/weights.safetensors`)).body)).toBe(
        weights.sha256,
      );
      await w.gateway.mirror.enforceStorage();
      const tiers = Object.fromEntries((await w.gateway.mirror.storageUsage()).map((u) => [u.tier, u]));
      expect(tiers.hot.bytes).toBeLessThanOrEqual(2 * MiB);
      expect(tiers.cold.chunks).toBeGreaterThan(0);
      // The JSON went to the cold tier compressed; random weights (if moved) stay plain.
      const zst = filesUnder(cold.path).filter(
        (p) => p.includes(`sha256-${tokenizer.sha256}`) && p.endsWith('.zst'),
      );
      expect(zst.length).toBe(3);
      const onDisk = zst.reduce((n, p) => n + statSync(p).size, 0);
      expect(onDisk).toBeLessThan(0.5 * config.length);
      expect(w.gateway.mirror.stats().storage.compressionSavedBytes).toBeGreaterThan(config.length / 2);
      // Ranges across blocks and chunks of the compressed file, then the whole.
      const range = await http(`${w.gateway.url}/org/tiers/resolve/main/tokenizer.json`, {
        headers: { range: `bytes=${MiB - 10}-${2 * MiB + 10}` },
      });
      expect(range.status).toBe(206);
      expect(range.body.equals(config.subarray(MiB - 10, 2 * MiB + 11))).toBe(true);
      const whole = await http(`${w.gateway.url}/org/tiers/resolve/main/tokenizer.json`);
      expect(sha256(whole.body)).toBe(tokenizer.sha256);
      // Read again: promoted back to the hot tier.
      await until(() => w.gateway.mirror.stats().storage.promotedChunks > 0);
      const stillCompressed = filesUnder(cold.path).filter(
        (p) => p.includes(`sha256-${tokenizer.sha256}`) && p.endsWith('.zst'),
      );
      expect(stillCompressed.length).toBeLessThan(3);
    });
  });
});
