// The simulator speaks the upstream Xet protocol: proven with the real client (hf_xet 1.6.0 through
// huggingface_hub 2.0.0) pointed straight at it, and with raw requests for the CAS's refusals.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkBuffer, decodeChunks, normalizeReconstruction, XetHasher, xetHashToHex } from '@dingo/xet';
import { HubSimulator } from './hub-simulator';
import { downloadScript, pythonWithXet, runPythonXet } from './python-xet-client';
import type { SimOptions, SimRepoSpec } from './types';

const text = (n: number) => {
  const words = ['tensor', 'weight', 'bias', '0.125', '\n', ' ', 'layer'];
  let x = 7;
  let s = '';
  while (s.length < n) s += words[(x = (x * 1103515245 + 12345) % 2147483648) % 7];
  return Buffer.from(s.slice(0, n));
};
const COMPRESSIBLE = text(1_500_000);

const REPO: SimRepoSpec = {
  type: 'model',
  id: 'acme/xet-model',
  commits: [
    {
      files: [
        { path: 'model.safetensors', size: 3_000_000, xet: true },
        { path: 'text.bin', content: COMPRESSIBLE, lfs: true, xet: true },
        { path: 'config.json', content: '{"model_type":"gpt2"}' },
      ],
    },
  ],
};
// Shares most of its bytes with text.bin: the CAS stores those chunks once and the file's terms
// point into the first repo's xorbs.
const OTHER: SimRepoSpec = {
  type: 'dataset',
  id: 'acme/xet-data',
  commits: [
    {
      files: [
        {
          path: 'shard.bin',
          content: Buffer.concat([COMPRESSIBLE, text(300_000).reverse()]),
          lfs: true,
          xet: true,
        },
      ],
    },
  ],
};

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function start(opts: Partial<SimOptions>) {
  const dataDir = await mkdtemp(join(tmpdir(), 'dingo-xetsim-'));
  const sim = await HubSimulator.start({ dataDir, cdnHost: '127.0.0.2', xetXorbBytes: 1 << 20, ...opts });
  await sim.addRepo(REPO);
  await sim.addRepo(OTHER);
  return { sim, dataDir };
}

async function download(sim: HubSimulator, files: Parameters<typeof downloadScript>[0]) {
  const home = await mkdtemp(join(tmpdir(), 'dingo-xethome-'));
  try {
    const out = await runPythonXet(downloadScript(files), { HF_ENDPOINT: sim.url, HF_HOME: home });
    return out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { path: string; sha256: string; size: number });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

describe('HubSimulator Xet CAS', () => {
  beforeAll(() => pythonWithXet(), 300_000);

  describe('with defaults (v2 reconstructions, LZ4, 1 MiB xorbs)', () => {
    let sim: HubSimulator;
    let dataDir: string;
    beforeAll(async () => ({ sim, dataDir } = await start({})));
    afterAll(async () => {
      await sim.stop();
      await rm(dataDir, { recursive: true, force: true });
    });
    beforeEach(() => sim.stats.reset());

    it('X-Xet-Hash is the real Xet file hash of the content', async () => {
      const file = sim.repo('model', 'acme/xet-model')!.file('main', 'model.safetensors')!;
      const hasher = await XetHasher.create();
      const chunks = chunkBuffer(await readFile(file.diskPath));
      const leaves = chunks.map((c) => ({ hash: hasher.chunkHash(c), size: c.length }));
      expect(file.xetHash).toBe(xetHashToHex(hasher.fileHash(leaves)));
    });

    it('hf_hub_download goes over Xet: token, reconstructions, xorb ranges; bytes identical', async () => {
      const repo = sim.repo('model', 'acme/xet-model')!;
      const got = await download(sim, [
        { repoType: 'model', repoId: 'acme/xet-model', path: 'model.safetensors' },
        { repoType: 'model', repoId: 'acme/xet-model', path: 'text.bin' },
        { repoType: 'dataset', repoId: 'acme/xet-data', path: 'shard.bin' },
      ]);
      expect(got.map((g) => g.sha256)).toEqual([
        repo.file('main', 'model.safetensors')!.sha256,
        repo.file('main', 'text.bin')!.sha256,
        sim.repo('dataset', 'acme/xet-data')!.file('main', 'shard.bin')!.sha256,
      ]);
      const s = sim.stats;
      expect(s.count({ origin: 'hub', pathIncludes: '/xet-read-token/' })).toBeGreaterThanOrEqual(2);
      expect(s.count({ origin: 'cas', pathIncludes: '/v2/reconstructions/' })).toBeGreaterThanOrEqual(3);
      expect(s.count({ origin: 'cdn', pathIncludes: '/xorbs/default/' })).toBeGreaterThanOrEqual(4);
      // No plain-HTTP byte transfer: no resolve GET, no CDN LFS object.
      expect(s.count({ origin: 'hub', method: 'GET', pathIncludes: '/resolve/' })).toBe(0);
      expect(s.count({ origin: 'cdn', pathIncludes: '/repos/' })).toBe(0);
      expect(s.xetBytesServed()).toBeGreaterThan(0);
      // LZ4 made the text smaller on the wire than on disk.
      expect(s.xetBytesServed()).toBeLessThan(3_000_000 + COMPRESSIBLE.length + 1_800_000);
    });

    it('deduplicates chunks across repos: the dataset file reuses the model file xorbs', async () => {
      const token = await readToken(sim, 'datasets/acme/xet-data');
      const hash = sim.repo('dataset', 'acme/xet-data')!.file('main', 'shard.bin')!.xetHash!;
      const r = normalizeReconstruction(
        await (await fetch(`${sim.casUrl}/v1/reconstructions/${hash}`, auth(token))).json(),
      );
      const textHash = sim.repo('model', 'acme/xet-model')!.file('main', 'text.bin')!.xetHash!;
      const textTerms = normalizeReconstruction(
        await (
          await fetch(
            `${sim.casUrl}/v1/reconstructions/${textHash}`,
            auth(await readToken(sim, 'models/acme/xet-model')),
          )
        ).json(),
      ).terms;
      expect(r.terms[0].hash).toBe(textTerms[0].hash);
    });

    it('serves real xorb bytes: decoded chunks hash to what the footer says', async () => {
      const token = await readToken(sim, 'models/acme/xet-model');
      const file = sim.repo('model', 'acme/xet-model')!.file('main', 'text.bin')!;
      const res = await fetch(`${sim.casUrl}/v1/reconstructions/${file.xetHash}`, {
        headers: { Authorization: `Bearer ${token}`, Range: 'bytes=100000-399999' },
      });
      const r = normalizeReconstruction(await res.json());
      expect(r.offsetIntoFirstRange).toBeGreaterThan(0);
      const parts: Buffer[] = [];
      for (const t of r.terms) {
        const f = r.fetches.find(
          (x) => x.xorb === t.hash && x.chunks.start <= t.range.start && t.range.end <= x.chunks.end,
        )!;
        const body = Buffer.from(
          await (
            await fetch(f.url, { headers: { Range: `bytes=${f.bytes.start}-${f.bytes.end}` } })
          ).arrayBuffer(),
        );
        const chunks = decodeChunks(body).map((c) => c.data);
        parts.push(...chunks.slice(t.range.start - f.chunks.start, t.range.end - f.chunks.start));
      }
      const joined = Buffer.concat(parts).subarray(r.offsetIntoFirstRange, r.offsetIntoFirstRange + 300_000);
      expect(joined.equals(COMPRESSIBLE.subarray(100_000, 400_000))).toBe(true);
    });

    it('refuses CAS calls without a valid token, and xorb URLs with a changed range', async () => {
      const hash = sim.repo('model', 'acme/xet-model')!.file('main', 'model.safetensors')!.xetHash!;
      expect((await fetch(`${sim.casUrl}/v1/reconstructions/${hash}`)).status).toBe(401);
      expect((await fetch(`${sim.casUrl}/v1/reconstructions/${hash}`, auth('xet_forged'))).status).toBe(401);
      // A token for another repo does not open this file.
      const other = await readToken(sim, 'datasets/acme/xet-data');
      expect((await fetch(`${sim.casUrl}/v1/reconstructions/${hash}`, auth(other))).status).toBe(404);
      const token = await readToken(sim, 'models/acme/xet-model');
      const r = normalizeReconstruction(
        await (await fetch(`${sim.casUrl}/v1/reconstructions/${hash}`, auth(token))).json(),
      );
      const f = r.fetches[0];
      expect(
        (await fetch(f.url, { headers: { Range: `bytes=${f.bytes.start}-${f.bytes.end}` } })).status,
      ).toBe(206);
      expect((await fetch(f.url, { headers: { Range: `bytes=0-${f.bytes.end + 1}` } })).status).toBe(403);
      expect(
        (
          await fetch(`${sim.casUrl}/v1/reconstructions/${hash}`, {
            headers: { ...auth(token).headers, Range: 'bytes=3000000-3000010' },
          })
        ).status,
      ).toBe(416);
    });
  });

  it('v1-only CAS, BG4 compression and short-lived tokens: the client falls back, decodes and refreshes', async () => {
    const { sim, dataDir } = await start({
      xetReconstructionV2: false,
      xetCompression: 'bg4-lz4',
      xetTokenTtlSeconds: 10,
    });
    try {
      const got = await download(sim, [{ repoType: 'model', repoId: 'acme/xet-model', path: 'text.bin' }]);
      expect(got[0].sha256).toBe(sha256(COMPRESSIBLE));
      expect(sim.stats.count({ origin: 'cas', pathIncludes: '/v1/reconstructions/' })).toBeGreaterThan(0);
      // Tokens expire within the client's 30 s margin: it keeps asking the refresh route for new ones.
      expect(sim.stats.count({ origin: 'hub', pathIncludes: '/xet-read-token/' })).toBeGreaterThanOrEqual(2);
      expect(sim.stats.xetBytesServed()).toBeLessThan(COMPRESSIBLE.length * 0.8);
    } finally {
      await sim.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

function auth(token: string) {
  return { headers: { Authorization: `Bearer ${token}` } };
}

async function readToken(sim: HubSimulator, typedId: string): Promise<string> {
  const res = await fetch(`${sim.url}/api/${typedId}/xet-read-token/main`);
  expect(res.headers.get('x-xet-cas-url')).toBe(sim.casUrl);
  return ((await res.json()) as { accessToken: string }).accessToken;
}
