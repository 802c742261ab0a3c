import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { request } from 'undici';
import { http, pythonOf, ServiceProcess, sha256, startService, tempDir } from '@dingo/testing';
import { SimProcess, startSimProcess } from './modelscope-processes';

const MiB = 1024 * 1024;
const run = promisify(execFile);

/** What a client got, read to the end or to the point the connection broke. */
async function download(url: string): Promise<{ status: number; body: Buffer; broken: boolean }> {
  const res = await request(url);
  const parts: Buffer[] = [];
  let broken = false;
  try {
    for await (const p of res.body) parts.push(p as Buffer);
  } catch {
    broken = true;
  }
  return { status: res.statusCode, body: Buffer.concat(parts), broken };
}

/**
 * ModelScope as the fallback upstream, over real processes: a gateway, the Hub simulator and the
 * ModelScope simulator, each its own process. The gateway learns files from the Hub (HEAD), the
 * Hub goes away, and cold downloads come from ModelScope, verified against the Hub's sha256.
 */
describe('ModelScope fallback (gateway + hub simulator + ModelScope simulator processes)', () => {
  const dir = tempDir('modelscope-e2e');
  const content = {
    weights: randomBytes(3 * MiB + 4321),
    config: Buffer.from(JSON.stringify({ model_type: 'llama', hidden_size: 64 })),
    lies: randomBytes(MiB + 17),
    corrupt: randomBytes(2 * MiB + 5),
    hubOnly: randomBytes(300_000),
    hubFirst: randomBytes(MiB + 1),
    renamed: randomBytes(700_000),
    msOnly: randomBytes(MiB + 99),
    msOnlyBad: randomBytes(600_000),
    py: randomBytes(MiB + 7),
    msOnlyPy: randomBytes(400_000),
    failing: randomBytes(MiB + 3),
    parallel: randomBytes(4 * MiB + 11),
  };
  const path = (name: string) => join(dir.path, `${name}.bin`);
  let hub: SimProcess;
  let ms: SimProcess;
  let gw: ServiceProcess;
  let g: string;
  let repo: string;

  beforeAll(async () => {
    for (const [name, bytes] of Object.entries(content)) writeFileSync(path(name), bytes);
    // meta-llama/* is LLM-Research/* on ModelScope (built-in rename); org/renamed is mapped by config.
    const hubSpec = [
      {
        type: 'model',
        id: 'meta-llama/tiny-llama',
        files: [
          { path: 'model.safetensors', file: path('weights'), lfs: true },
          { path: 'config.json', file: path('config'), lfs: false },
          { path: 'lies.safetensors', file: path('lies'), lfs: true },
          { path: 'corrupt.safetensors', file: path('corrupt'), lfs: true },
          { path: 'hub-only.safetensors', file: path('hubOnly'), lfs: true },
          { path: 'hub-first.safetensors', file: path('hubFirst'), lfs: true },
          { path: 'py.safetensors', file: path('py'), lfs: true },
          { path: 'failing.safetensors', file: path('failing'), lfs: true },
          { path: 'parallel.safetensors', file: path('parallel'), lfs: true },
        ],
        // The Hub answers for this file but its CDN object fails (503), for good.
        faults: [{ match: sha256(content.failing), status: 503, times: 1000 }],
      },
      {
        type: 'model',
        id: 'org/renamed',
        files: [{ path: 'w.safetensors', file: path('renamed'), lfs: true }],
      },
    ];
    const msSpec = [
      {
        id: 'LLM-Research/tiny-llama',
        branches: {
          master: [
            { path: 'model.safetensors', file: path('weights') },
            { path: 'config.json', file: path('config') },
            // Listed with a sha256 that is not the Hub's: never asked for its bytes.
            { path: 'lies.safetensors', file: path('lies'), listedSha256: sha256(Buffer.from('not it')) },
            // Listed right, served wrong: the mirror's verifier must catch it.
            { path: 'corrupt.safetensors', file: path('corrupt'), corrupt: true },
            { path: 'hub-first.safetensors', file: path('hubFirst') },
            { path: 'py.safetensors', file: path('py') },
            { path: 'failing.safetensors', file: path('failing') },
            { path: 'parallel.safetensors', file: path('parallel') },
          ],
        },
      },
      {
        id: 'someone/renamed-ms',
        branches: {},
        tags: { 'v2.0': [{ path: 'w.safetensors', file: path('renamed') }] },
      },
      // A model the Hub is never asked about.
      {
        id: 'LLM-Research/ms-only',
        branches: {
          master: [
            { path: 'w.safetensors', file: path('msOnly') },
            { path: 'bad.safetensors', file: path('msOnlyBad'), corrupt: true },
            { path: 'py.safetensors', file: path('msOnlyPy') },
          ],
        },
      },
    ];
    writeFileSync(join(dir.path, 'hub.json'), JSON.stringify(hubSpec));
    writeFileSync(join(dir.path, 'ms.json'), JSON.stringify(msSpec));
    [hub, ms] = await Promise.all([
      startSimProcess('e2e/mirror/hub-sim-process.ts', [
        '--data-dir',
        join(dir.path, 'hub-data'),
        '--spec',
        join(dir.path, 'hub.json'),
      ]),
      startSimProcess('libs/modelscope-simulator/src/cli.ts', [
        '--spec',
        join(dir.path, 'ms.json'),
        '--redirect',
      ]),
    ]);
    gw = await startService('gateway', {
      DINGO_DATA_DIR: join(dir.path, 'gw'),
      DINGO_UPSTREAMS: hub.url,
      // The Hub simulator's CDN is on loopback too; ModelScope's endpoint is trusted as configured.
      DINGO_UPSTREAM_ALLOW_PRIVATE: /cdn: (\S+)/.exec(hub.output())![1],
      DINGO_CHUNK_SIZE: '1MB',
      DINGO_UPSTREAM_RETRIES: '1',
      DINGO_UPSTREAM_TIMEOUT_MS: '5000',
      DINGO_MODELSCOPE_URL: ms.url,
      DINGO_MODELSCOPE_ID_MAP: 'org/renamed=someone/renamed-ms',
    });
    g = gw.url;
    repo = `${g}/meta-llama/tiny-llama/resolve/main`;
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([hub?.stop(), ms?.stop()]);
    dir.cleanup();
  });

  const msStats = async () =>
    JSON.parse((await http(`${ms.url}/_sim/stats`)).body.toString()) as {
      requests: Record<string, number>;
      bytesServed: Record<string, number>;
    };
  const served = async (file: string) => (await msStats()).bytesServed[file] ?? 0;

  it('while the Hub answers, it is the source (ModelScope only when it fails, 5xx); the mirror learns sha256s from it', async () => {
    const first = await download(`${repo}/hub-first.safetensors`);
    expect(first.status).toBe(200);
    expect(sha256(first.body)).toBe(sha256(content.hubFirst));
    expect(await served('LLM-Research/tiny-llama/hub-first.safetensors')).toBe(0);
    // The mirror learns the files' metadata (sha256 / git blob id) from the Hub.
    for (const f of [
      'model.safetensors',
      'config.json',
      'lies.safetensors',
      'corrupt.safetensors',
      'hub-only.safetensors',
      'py.safetensors',
    ]) {
      const head = await http(`${repo}/${f}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
    }
    // Up but failing: the Hub names the file, its CDN answers 503; the bytes come from ModelScope.
    const failing = await download(`${repo}/failing.safetensors`);
    expect(failing.status).toBe(200);
    expect(sha256(failing.body)).toBe(sha256(content.failing));
    expect(await served('LLM-Research/tiny-llama/failing.safetensors')).toBeGreaterThanOrEqual(
      content.failing.length,
    );
    const headW = await http(`${repo}/model.safetensors`, { method: 'HEAD' });
    expect(headW.headers['x-linked-etag']).toContain(sha256(content.weights));
    expect((await http(`${g}/org/renamed/resolve/main/w.safetensors`, { method: 'HEAD' })).status).toBe(200);
  });

  it('with DINGO_MODELSCOPE_PARALLEL, pulls a cold file from the Hub and ModelScope at once (same sha256 only)', async () => {
    const both = await startService('gateway', {
      DINGO_DATA_DIR: join(dir.path, 'gw-parallel'),
      DINGO_UPSTREAMS: hub.url,
      DINGO_UPSTREAM_ALLOW_PRIVATE: /cdn: (\S+)/.exec(hub.output())![1],
      DINGO_CHUNK_SIZE: '1MB',
      DINGO_MODELSCOPE_URL: ms.url,
      DINGO_MODELSCOPE_PARALLEL: 'true',
    });
    try {
      const file = 'LLM-Research/tiny-llama/parallel.safetensors';
      const before = await served(file);
      const got = await download(`${both.url}/meta-llama/tiny-llama/resolve/main/parallel.safetensors`);
      expect(got.status).toBe(200);
      expect(sha256(got.body)).toBe(sha256(content.parallel));
      // ModelScope served part of it, not all of it: the Hub pulled the rest in parallel.
      const fromMs = (await served(file)) - before;
      expect(fromMs).toBeGreaterThan(0);
      expect(fromMs).toBeLessThan(content.parallel.length);
      // A listing whose sha256 is not the Hub's is never a source.
      const liesBefore = await served('LLM-Research/tiny-llama/lies.safetensors');
      const lies = await download(`${both.url}/meta-llama/tiny-llama/resolve/main/lies.safetensors`);
      expect(sha256(lies.body)).toBe(sha256(content.lies));
      expect(await served('LLM-Research/tiny-llama/lies.safetensors')).toBe(liesBefore);
    } finally {
      await both.stop();
    }
  });

  it('with the Hub down, a HEAD promises what ModelScope holds with the same sha256, not what it lacks', async () => {
    await hub.stop();
    // Hub clients HEAD before they GET. what ModelScope holds (Hub clients HEAD before they GET); not what it lacks.
    const offlineHead = await http(`${repo}/model.safetensors`, { method: 'HEAD' });
    expect(offlineHead.status).toBe(200);
    expect(offlineHead.headers['x-linked-etag']).toContain(sha256(content.weights));
    expect((await http(`${repo}/hub-only.safetensors`, { method: 'HEAD' })).status).toBe(503);
    expect((await http(`${repo}/lies.safetensors`, { method: 'HEAD' })).status).toBe(503);
    expect(await served('LLM-Research/tiny-llama/model.safetensors')).toBe(0);
  });

  it("serves a cold LFS file's every byte from ModelScope (through its download redirect), hashing to the Hub's sha256", async () => {
    const weights = await download(`${repo}/model.safetensors`);
    expect(weights.status).toBe(200);
    expect(weights.broken).toBe(false);
    expect(weights.body.length).toBe(content.weights.length);
    expect(sha256(weights.body)).toBe(sha256(content.weights));
    expect(await served('LLM-Research/tiny-llama/model.safetensors')).toBeGreaterThanOrEqual(
      content.weights.length,
    );
    // Now cached: a range is answered without ModelScope.
    const before = await served('LLM-Research/tiny-llama/model.safetensors');
    const range = await http(`${repo}/model.safetensors`, { headers: { range: 'bytes=1048570-1048585' } });
    expect(range.status).toBe(206);
    expect(range.body.equals(content.weights.subarray(1048570, 1048586))).toBe(true);
    expect(await served('LLM-Research/tiny-llama/model.safetensors')).toBe(before);
  });

  it("serves a regular file (checked against the Hub's git blob id) and a configured id found on a ModelScope tag", async () => {
    // ModelScope lists no git blob id; the mirror checks the bytes against the Hub's.
    const config = await download(`${repo}/config.json`);
    expect(config.status).toBe(200);
    expect(config.body.equals(content.config)).toBe(true);

    // A configured id (org/renamed → someone/renamed-ms), found on a ModelScope tag, not on master.
    const renamed = await download(`${g}/org/renamed/resolve/main/w.safetensors`);
    expect(renamed.status).toBe(200);
    expect(sha256(renamed.body)).toBe(sha256(content.renamed));
  });

  it('refuses a ModelScope file whose listed sha256 is not the Hub one, and never completes one whose bytes are wrong', async () => {
    // ModelScope lists another sha256: its bytes are never asked for; the Hub's absence is reported.
    const lies = await download(`${repo}/lies.safetensors`);
    expect(lies.status).toBe(503);
    expect(await served('LLM-Research/tiny-llama/lies.safetensors')).toBe(0);

    // ModelScope lists the right sha256 but sends other bytes: the verifier purges them and the
    // client never gets the file complete.
    for (let attempt = 0; attempt < 2; attempt++) {
      const corrupt = await download(`${repo}/corrupt.safetensors`);
      const complete =
        corrupt.status === 200 && !corrupt.broken && corrupt.body.length === content.corrupt.length;
      expect(complete).toBe(false);
      expect(corrupt.body.length).toBeLessThan(content.corrupt.length);
    }
    expect(await served('LLM-Research/tiny-llama/corrupt.safetensors')).toBeGreaterThan(0);

    // Not on ModelScope at all: as before, 503 while the Hub is down.
    const hubOnly = await download(`${repo}/hub-only.safetensors`);
    expect(hubOnly.status).toBe(503);
  });

  it("serves a repo the Hub was never reached for from ModelScope's listing (its commit, its sha256, checked)", async () => {
    // A repo the Hub was never reached for: ModelScope's listing names the file (its commit, its
    // sha256); the bytes are checked against that sha256 all the same.
    const listed = JSON.parse(
      (
        await http(`${ms.url}/api/v1/models/LLM-Research/ms-only/repo/files?Revision=master&Recursive=True`)
      ).body.toString(),
    ).Data.Files.find((f: { Path: string }) => f.Path === 'w.safetensors');
    const msOnly = `${g}/meta-llama/ms-only/resolve/main`;
    const msHead = await http(`${msOnly}/w.safetensors`, { method: 'HEAD' });
    expect(msHead.status).toBe(200);
    expect(msHead.headers['x-repo-commit']).toBe(listed.Revision);
    expect(msHead.headers['x-repo-commit']).toMatch(/^[0-9a-f]{40}$/);
    expect(msHead.headers['x-linked-etag']).toBe(`"${sha256(content.msOnly)}"`);
    expect(msHead.headers['x-linked-size']).toBe(String(content.msOnly.length));
    const msGet = await download(`${msOnly}/w.safetensors`);
    expect(msGet.status).toBe(200);
    expect(sha256(msGet.body)).toBe(sha256(content.msOnly));
    for (let attempt = 0; attempt < 2; attempt++) {
      const bad = await download(`${msOnly}/bad.safetensors`);
      expect(bad.status === 200 && !bad.broken && bad.body.length === content.msOnlyBad.length).toBe(false);
      expect(bad.body.length).toBeLessThan(content.msOnlyBad.length);
    }
    expect(await served('LLM-Research/ms-only/bad.safetensors')).toBeGreaterThan(0);
    // Only the default branch maps (a Hub tag or commit means nothing on ModelScope); unknown files stay 503.
    expect(
      (await http(`${g}/meta-llama/ms-only/resolve/v1.0/w.safetensors`, { method: 'HEAD' })).status,
    ).toBe(503);
    expect((await http(`${msOnly}/missing.bin`, { method: 'HEAD' })).status).toBe(503);
  });

  it('huggingface_hub 2.0.0 downloads through the mirror while the Hub is down', async () => {
    // A real Hub client (huggingface_hub 2.0.0) while the Hub is down: HEAD then GET, both answered
    // from ModelScope's bytes; for the repo the Hub never saw, its snapshot is ModelScope's commit.
    const pyListed = JSON.parse(
      (
        await http(`${ms.url}/api/v1/models/LLM-Research/ms-only/repo/files?Revision=master&Recursive=True`)
      ).body.toString(),
    ).Data.Files.find((f: { Path: string }) => f.Path === 'py.safetensors');
    const script = [
      'import sys, json',
      'from huggingface_hub import hf_hub_download',
      'out = [hf_hub_download(repo_id=r, filename="py.safetensors") for r in sys.argv[1:]]',
      'print(json.dumps(out))',
    ].join('\n');
    const { stdout } = await run(
      pythonOf('hub2'),
      ['-c', script, 'meta-llama/tiny-llama', 'meta-llama/ms-only'],
      {
        env: {
          ...process.env,
          HF_ENDPOINT: g,
          HF_HUB_CACHE: join(dir.path, 'hf-cache'),
          HF_HUB_DISABLE_TELEMETRY: '1',
        },
      },
    );
    const [pyKnown, pyMsOnly] = JSON.parse(stdout.trim().split('\n').pop()!) as string[];
    expect(sha256(readFileSync(pyKnown))).toBe(sha256(content.py));
    expect(sha256(readFileSync(pyMsOnly))).toBe(sha256(content.msOnlyPy));
    expect(pyMsOnly).toContain(`/snapshots/${pyListed.Revision}/py.safetensors`);
    expect(await served('LLM-Research/tiny-llama/py.safetensors')).toBeGreaterThanOrEqual(content.py.length);
  });

  it('spoke the ModelScope endpoints: file listing, revisions, ranged download (and followed its redirect)', async () => {
    const stats = await msStats();
    expect(stats.requests.files).toBeGreaterThan(0);
    expect(stats.requests.revisions).toBeGreaterThan(0);
    expect(stats.requests.download).toBeGreaterThan(0);
    expect(stats.requests.oss).toBeGreaterThan(0);
  });
});
