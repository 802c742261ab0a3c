// hf_xet (the real client) downloads Xet-backed files through the mirror over Xet: the mirror is
// the client's CAS; only the mirror talks to upstream (the simulator speaking the upstream protocol).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pythonWithXet } from '@dingo/hub-simulator';
import { XetMirror } from '@dingo/xet-mirror';
import { MiB, pythonDownload, startXetWorld, TOKEN, type XetWorld } from './xet-world';

const MODEL_FILES = [
  { repoType: 'model', repoId: 'org/xet-model', path: 'model.safetensors' },
  { repoType: 'model', repoId: 'org/xet-model', path: 'tokenizer.bin' },
  { repoType: 'model', repoId: 'org/xet-model', path: 'config.json' },
];

describe('Xet-serving mirror (DINGO_XET_MODE=serve) with the real hf_xet client', () => {
  let w: XetWorld;
  beforeAll(() => pythonWithXet(), 300_000);
  beforeAll(async () => {
    w = await startXetWorld();
  });
  afterAll(async () => w?.close());

  const upstreamSha = (type: 'model' | 'dataset', id: string, path: string) =>
    w.sim.repo(type, id)!.file('main', path)!.sha256;
  const onlyMirrorCalledUpstream = () => {
    const strangers = w.sim.stats.requests.filter((r) => !(r.userAgent ?? '').startsWith('dingospeed/'));
    expect(strangers.map((r) => `${r.origin} ${r.method} ${r.path} (${r.userAgent})`)).toEqual([]);
  };

  it('first download: over Xet, bytes identical, pulled once from upstream Xet storage by the mirror', async () => {
    w.sim.stats.reset();
    const before = { ...xetMirror(w).cas.served };
    const got = await pythonDownload(w.gateway.url, MODEL_FILES);
    expect(got.map((g) => g.sha256)).toEqual(MODEL_FILES.map((f) => upstreamSha('model', f.repoId, f.path)));
    onlyMirrorCalledUpstream();
    // The client went over Xet to the mirror: reconstructions and xorb ranges served by the mirror.
    const served = xetMirror(w).cas.served;
    expect(served.reconstructions).toBeGreaterThan(before.reconstructions);
    expect(served.xorbBytes - before.xorbBytes).toBeGreaterThan(6 * MiB);
    const s = w.sim.stats;
    // The mirror pulled Xet: reconstructions and xorb ranges; never the LFS objects over HTTP.
    expect(s.count({ origin: 'cas', pathIncludes: '/reconstructions/' })).toBeGreaterThan(0);
    expect(s.count({ origin: 'cdn', pathIncludes: '/xorbs/' })).toBeGreaterThan(0);
    expect(s.count({ origin: 'cdn', pathIncludes: '/repos/' })).toBe(0);
    expect(s.count({ origin: 'hub', method: 'GET', pathIncludes: '/resolve/main/model.safetensors' })).toBe(
      0,
    );
    expect(s.count({ origin: 'hub', method: 'GET', pathIncludes: '/resolve/main/tokenizer.bin' })).toBe(0);
    // Each xorb range came up once (the client's parallel block requests were coalesced).
    const xorbGets = s.requests
      .filter((r) => r.origin === 'cdn' && r.path.startsWith('/xorbs/'))
      .map((r) => `${r.path.split('?')[0]} ${r.range}`);
    expect(new Set(xorbGets).size).toBe(xorbGets.length);
    // The mirror verified both files against their Xet hashes.
    for (const path of ['model.safetensors', 'tokenizer.bin']) {
      const hash = w.sim.repo('model', 'org/xet-model')!.file('main', path)!.xetHash!;
      expect((await xetMirror(w).index.getFile(hash))?.verified).toBe(true);
    }
  });

  it('second download (fresh client cache): served entirely by the mirror, 0 upstream bytes', async () => {
    w.sim.stats.reset();
    const before = xetMirror(w).cas.served.xorbBytes;
    const got = await pythonDownload(w.gateway.url, MODEL_FILES);
    expect(got.map((g) => g.sha256)).toEqual(MODEL_FILES.map((f) => upstreamSha('model', f.repoId, f.path)));
    expect(xetMirror(w).cas.served.xorbBytes - before).toBeGreaterThan(6 * MiB);
    expect(w.sim.stats.bytesServed()).toBe(0);
    expect(w.sim.stats.count({ origin: 'cas' })).toBe(0);
    expect(w.sim.stats.count({ origin: 'cdn' })).toBe(0);
    onlyMirrorCalledUpstream();
  });

  it('deduplicates across repos at chunk level: a dataset sharing bytes with the model pulls only what is new', async () => {
    w.sim.stats.reset();
    const got = await pythonDownload(w.gateway.url, [
      { repoType: 'dataset', repoId: 'org/xet-data', path: 'train.bin' },
    ]);
    expect(got[0].sha256).toBe(upstreamSha('dataset', 'org/xet-data', 'train.bin'));
    expect(got[0].size).toBe(3 * MiB);
    // 2 of its 3 MiB are the model's tokenizer.bin: those chunks are already on the mirror.
    expect(w.sim.stats.xetBytesServed()).toBeLessThan(1.5 * MiB);
    onlyMirrorCalledUpstream();
  });

  it('gated repos: the token route answers as upstream does for the caller', async () => {
    await expect(
      pythonDownload(
        w.gateway.url,
        [{ repoType: 'model', repoId: 'org/gated-xet', path: 'weights.safetensors' }],
        { token: 'hf_bob' },
      ),
    ).rejects.toThrow(/GatedRepo|403|401/);
    const got = await pythonDownload(
      w.gateway.url,
      [{ repoType: 'model', repoId: 'org/gated-xet', path: 'weights.safetensors' }],
      { token: TOKEN },
    );
    expect(got[0].sha256).toBe(upstreamSha('model', 'org/gated-xet', 'weights.safetensors'));
  });

  it('refuses CAS calls without the mirror token, and forged xorb URLs', async () => {
    const hash = w.sim.repo('model', 'org/xet-model')!.file('main', 'model.safetensors')!.xetHash!;
    expect((await fetch(`${w.gateway.url}/xet-cas/v1/reconstructions/${hash}`)).status).toBe(401);
    const tokenRes = await fetch(`${w.gateway.url}/api/models/org/xet-model/xet-read-token/main`);
    expect(tokenRes.headers.get('x-xet-cas-url')).toBe(`${w.gateway.url}/xet-cas`);
    const { accessToken } = (await tokenRes.json()) as { accessToken: string };
    const rec = await fetch(`${w.gateway.url}/xet-cas/v1/reconstructions/${hash}`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    const body = (await rec.json()) as {
      fetch_info: Record<string, { url: string; url_range: { start: number; end: number } }[]>;
    };
    const f = Object.values(body.fetch_info)[0][0];
    expect(f.url.startsWith(`${w.gateway.url}/xet-cas/xorbs/`)).toBe(true);
    const ok = await fetch(f.url, { headers: { Range: `bytes=${f.url_range.start}-${f.url_range.end}` } });
    expect(ok.status).toBe(206);
    await ok.arrayBuffer();
    const forged = f.url.replace(/s=[^&]+/, 's=AAAA');
    expect((await fetch(forged)).status).toBe(403);
    // A token for one repo does not open another repo's files.
    const other = (await (
      await fetch(`${w.gateway.url}/api/datasets/org/xet-data/xet-read-token/main`)
    ).json()) as { accessToken: string };
    const gatedHash = w.sim.repo('model', 'org/gated-xet')!.file('main', 'weights.safetensors')!.xetHash!;
    expect(
      (
        await fetch(`${w.gateway.url}/xet-cas/v1/reconstructions/${gatedHash}`, {
          headers: { Authorization: `Bearer ${other.accessToken}` },
        })
      ).status,
    ).toBeGreaterThanOrEqual(400);
  });

  it('a stored xorb range that rotted on disk is never delivered complete: cut, purged, pulled again', async () => {
    const hash = w.sim.repo('model', 'org/xet-model')!.file('main', 'tokenizer.bin')!.xetHash!;
    const { accessToken } = (await (
      await fetch(`${w.gateway.url}/api/models/org/xet-model/xet-read-token/main`)
    ).json()) as {
      accessToken: string;
    };
    const rec = (await (
      await fetch(`${w.gateway.url}/xet-cas/v1/reconstructions/${hash}`, {
        headers: { Authorization: `Bearer ${accessToken}` },
      })
    ).json()) as {
      fetch_info: Record<
        string,
        { url: string; range: { start: number; end: number }; url_range: { start: number; end: number } }[]
      >;
    };
    const [xorb, [f]] = Object.entries(rec.fetch_info)[0];
    const stored = join(
      w.gateway.dataDir,
      'chunks',
      xorb.slice(0, 2),
      `xorb-${xorb}`,
      String(f.range.start * 16_384 + f.range.end),
    );
    const original = await readFile(stored);
    const bad = Buffer.from(original);
    bad[bad.length >> 1] ^= 0xff;
    await writeFile(stored, bad);
    const range = { headers: { Range: `bytes=${f.url_range.start}-${f.url_range.end}` } };
    await expect(fetch(f.url, range).then((r) => r.arrayBuffer())).rejects.toThrow();
    w.sim.stats.reset();
    const again = Buffer.from(await (await fetch(f.url, range)).arrayBuffer());
    expect(again.equals(original)).toBe(true);
    expect(w.sim.stats.xetBytesServed()).toBe(original.length);
  });

  it('upstream down: cached Xet files still download over Xet from the mirror', async () => {
    await w.sim.stop();
    try {
      const got = await pythonDownload(w.gateway.url, MODEL_FILES.slice(0, 2));
      expect(got.map((g) => g.sha256)).toEqual(
        MODEL_FILES.slice(0, 2).map((f) => upstreamSha('model', f.repoId, f.path)),
      );
    } finally {
      await w.sim.restart();
    }
  });
});

function xetMirror(w: XetWorld): XetMirror {
  return w.gateway.app.get(XetMirror);
}
