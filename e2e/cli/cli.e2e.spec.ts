import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { http, pythonOf, sha256, tempDir } from '@dingo/testing';
import { CliWorld, MiB, startCliWorld } from './cli-world';

const same = (a: string, b: string) => readFileSync(a).equals(readFileSync(b));

/** The `dingo` CLI as a subprocess against a real embedded gateway and the hub simulator. */
describe('dingo CLI', () => {
  let w: CliWorld;
  beforeAll(async () => {
    w = await startCliWorld();
  });
  afterAll(() => w.close());

  it('pulls a repo into the Hugging Face cache layout, files byte-identical and verified', async () => {
    const run = await w.dingo(['pull', 'org/llama-tiny', '--connections', '6', '--part-size', '4MiB']);
    expect(run.stderr).toMatch(/pulled org\/llama-tiny@[0-9a-f]{12}: 5 files/);
    expect(run.code).toBe(0);
    const repo = w.sim.repo('model', 'org/llama-tiny')!;
    const commit = repo.resolve('main')!.sha;
    const dir = join(w.home, 'hub', 'models--org--llama-tiny');
    expect(run.stdout.trim()).toBe(join(dir, 'snapshots', commit));
    expect(readFileSync(join(dir, 'refs', 'main'), 'utf8')).toBe(commit);
    for (const file of repo.resolve('main')!.files.values()) {
      const link = join(dir, 'snapshots', commit, file.path);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).not.toMatch(/^\//); // relative, as huggingface_hub makes them
      const etag = file.lfs ? file.sha256 : file.blobId;
      expect(realpathSync(link)).toBe(realpathSync(join(dir, 'blobs', etag)));
      expect(same(link, file.diskPath)).toBe(true);
    }
    // Two paths with the same content share one blob; no partial files remain.
    expect(readdirSync(join(dir, 'blobs')).sort()).toHaveLength(4);
    expect(readdirSync(join(dir, 'blobs')).filter((f) => f.includes('.'))).toEqual([]);
    // A second pull finds everything present and fetches nothing.
    const again = await w.dingo(['pull', 'org/llama-tiny', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ files: 5, fetchedFiles: 0, bytes: 0, commit });
  });

  it('leaves a cache that huggingface_hub reads offline', async () => {
    const script = [
      'from huggingface_hub import snapshot_download, hf_hub_download',
      "print(snapshot_download('org/llama-tiny'))",
      "print(open(hf_hub_download('org/llama-tiny', 'config.json'), encoding='utf8').read())",
      "print(hf_hub_download('org/llama-tiny', 'nested/deep/extra.bin'))",
    ].join('\n');
    const { stdout } = await promisify(execFile)(pythonOf('hub2'), ['-c', script], {
      env: {
        PATH: process.env.PATH,
        HF_HUB_OFFLINE: '1',
        HF_HUB_CACHE: join(w.home, 'hub'),
        HF_HUB_DISABLE_TELEMETRY: '1',
      },
    });
    const commit = w.sim.repo('model', 'org/llama-tiny')!.resolve('main')!.sha;
    const [snapshot, config, extra] = stdout.trim().split('\n');
    expect(snapshot).toBe(join(w.home, 'hub', 'models--org--llama-tiny', 'snapshots', commit));
    expect(JSON.parse(config)).toEqual({ model_type: 'llama', hidden_size: 64 });
    expect(extra).toBe(join(snapshot, 'nested', 'deep', 'extra.bin'));
  });

  it('pulls selected files at a tag into a plain folder (--include, --dest)', async () => {
    const dest = tempDir('cli-dest');
    try {
      const run = await w.dingo([
        'pull',
        'org/llama-tiny@v1.0',
        '--include',
        '*.json',
        '--dest',
        dest.path,
        '--json',
      ]);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ files: 2, fetchedFiles: 2, revision: 'v1.0' });
      expect(readdirSync(dest.path).sort()).toEqual(['config.json', 'tokenizer.json']);
      const repo = w.sim.repo('model', 'org/llama-tiny')!;
      expect(same(join(dest.path, 'tokenizer.json'), repo.file('main', 'tokenizer.json')!.diskPath)).toBe(
        true,
      );
    } finally {
      dest.cleanup();
    }
  });

  it('resumes a pull that was killed, fetching only the parts it lacked', async () => {
    const args = ['pull', 'org/big', '--connections', '2', '--part-size', '1MiB', '--json'];
    const file = w.sim.repo('model', 'org/big')!.file('main', 'big.safetensors')!;
    const partial = join(w.home, 'hub', 'models--org--big', 'blobs', `${file.sha256}.dingo-partial`);
    const child = w.spawnDingo(args);
    const exited = new Promise((r) => child.on('close', r));
    // Kill it once a few parts are on disk (the simulator caps each connection's speed).
    const deadline = Date.now() + 30_000;
    let done = 0;
    while (Date.now() < deadline) {
      try {
        done = (JSON.parse(readFileSync(`${partial}.parts`, 'utf8')) as { done: number[] }).done.length;
      } catch {
        done = 0;
      }
      if (done >= 4) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    expect(done).toBeGreaterThanOrEqual(4);
    expect(existsSync(partial)).toBe(true);
    const run = await w.dingo(args);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.resumedBytes).toBeGreaterThanOrEqual(4 * MiB);
    expect(report.bytes + report.resumedBytes).toBe(40 * MiB);
    expect(sha256(readFileSync(join(report.path, 'big.safetensors')))).toBe(file.sha256);
    expect(existsSync(partial)).toBe(false);
    expect(existsSync(`${partial}.parts`)).toBe(false);
  });

  it('fills the catalogue from downloads and info answers, and searches it with filters', async () => {
    const g = w.gateway.url;
    await http(`${g}/api/datasets/org/corpus/revision/main?blobs=true`);
    await http(`${g}/datasets/org/corpus/resolve/main/data/train.parquet`);
    await http(`${g}/api/models/org/bert-gguf/revision/main?blobs=true`);
    const list = async (query: string) => {
      const res = await http(`${g}/admin/v1/catalogue?${query}`);
      expect(res.status).toBe(200);
      return JSON.parse(res.body.toString()) as Array<Record<string, any>>;
    };
    const ids = async (query: string) => (await list(query)).map((i) => i.id);
    const [llama] = await list('search=llama');
    const size =
      24 * MiB + 4321 + 300_000 + 2048 + JSON.stringify({ model_type: 'llama', hidden_size: 64 }).length;
    expect(llama).toMatchObject({
      id: 'org/llama-tiny',
      pipeline_tag: 'text-generation',
      library_name: 'transformers',
      tags: ['transformers', 'safetensors', 'en'],
      dingo: {
        type: 'model',
        license: 'apache-2.0',
        formats: ['pytorch', 'safetensors'],
        fileCount: 5,
        totalBytes: size + 2048,
        cachedBytes: size,
        cachedFiles: 4,
      },
    });
    expect(llama.dingo.mirrorDownloads).toBeGreaterThanOrEqual(4);
    expect(llama.dingo.revisions).toEqual([w.sim.repo('model', 'org/llama-tiny')!.resolve('main')!.sha]);
    expect(await ids('type=model&task=text-generation')).toEqual(['org/big', 'org/llama-tiny']);
    expect(await ids('library=gguf')).toEqual(['org/bert-gguf']);
    expect(await ids('format=parquet')).toEqual(['org/corpus']);
    expect(await ids('filter=en')).toEqual(['org/corpus', 'org/llama-tiny']);
    expect(await ids('minSize=20MB&sort=size')).toEqual(['org/big', 'org/llama-tiny']);
    expect(await ids('maxSize=2MiB')).toEqual(['org/bert-gguf', 'org/corpus']);
    expect(await ids('cached=true&sort=cachedSize&direction=1')).toEqual([
      'org/corpus',
      'org/llama-tiny',
      'org/big',
    ]);
    const page = await http(`${g}/admin/v1/catalogue?limit=2`);
    expect(page.headers['x-total-count']).toBe('4');
    expect(page.headers.link).toMatch(/cursor=/);
    const bad = await http(`${g}/admin/v1/catalogue?minSize=lots&sort=stars`);
    expect(bad.status).toBe(400);
    expect(bad.headers['x-error-code']).toBeDefined();
    expect(bad.headers['x-error-message']).toMatch(/minSize: must be a size.*sort:/);
    expect(JSON.parse(bad.body.toString()).error).toMatch(/minSize/);
    // By content: where a file with this sha256 lives.
    const big = w.sim.repo('model', 'org/big')!.file('main', 'big.safetensors')!;
    const hits = JSON.parse((await http(`${g}/admin/v1/catalogue/by-hash/${big.sha256}`)).body.toString());
    expect(hits).toEqual([
      expect.objectContaining({ type: 'model', id: 'org/big', path: 'big.safetensors' }),
    ]);
    expect((await http(`${g}/admin/v1/catalogue/by-hash/xyz`)).status).toBe(400);
    // The CLI fetches a file by its hash.
    const dest = tempDir('cli-by-hash');
    try {
      const run = await w.dingo(['pull', `sha256:${big.sha256}`, '--dest', dest.path, '--quiet']);
      expect(run.code).toBe(0);
      expect(sha256(readFileSync(join(dest.path, 'big.safetensors')))).toBe(big.sha256);
      const unknown = await w.dingo(['pull', `sha256:${'0'.repeat(64)}`]);
      expect(unknown.code).toBe(3);
      expect(unknown.stderr).toMatch(/no repo on the mirror holds a file with sha256 0{64}/);
    } finally {
      dest.cleanup();
    }
  });

  it('answers /api/models from the catalogue on request and while upstream is down', async () => {
    const g = w.gateway.url;
    const local = await http(`${g}/api/models?search=llama&local=true`);
    expect(local.headers['x-dingo-cache']).toBe('LOCAL');
    expect(JSON.parse(local.body.toString()).map((i: { id: string }) => i.id)).toEqual(['org/llama-tiny']);
    const byHeader = await http(`${g}/api/models?pipeline_tag=fill-mask`, {
      headers: { 'x-dingo-local': '1' },
    });
    expect(JSON.parse(byHeader.body.toString()).map((i: { id: string }) => i.id)).toEqual(['org/bert-gguf']);
    // Online without the flag: upstream answers (the simulator knows the gated repo the mirror never served).
    const online = await http(`${g}/api/models?search=gated`);
    expect(online.headers['x-dingo-cache']).not.toBe('LOCAL');
    await w.sim.stop();
    try {
      const offline = await http(`${g}/api/models?search=org&sort=downloads&limit=2`);
      expect(offline.status).toBe(200);
      expect(offline.headers['x-dingo-cache']).toBe('LOCAL');
      expect(offline.headers.link).toMatch(new RegExp(`^<${g}/api/models\\?.*cursor=`));
      expect(JSON.parse(offline.body.toString())).toHaveLength(2);
      const datasets = await http(`${g}/api/datasets?search=corpus`);
      expect(JSON.parse(datasets.body.toString()).map((i: { id: string }) => i.id)).toEqual(['org/corpus']);
      const invalid = await http(`${g}/api/models?limit=0`);
      expect(invalid.status).toBe(400);
      expect(invalid.headers['x-error-message']).toMatch(/limit/);
      // huggingface_hub's own listing works against the mirror in a closed network.
      const script = [
        'import json, sys',
        'from huggingface_hub import HfApi',
        'api = HfApi(endpoint=sys.argv[1])',
        "print(json.dumps([m.id for m in api.list_models(search='org', pipeline_tag='text-generation')]))",
        "print(json.dumps([m.id for m in api.list_models(filter='gguf')]))",
        "print(json.dumps([d.id for d in api.list_datasets(search='corpus')]))",
        "m = next(iter(api.list_models(search='llama', limit=1)))",
        'print(json.dumps([m.pipeline_tag, m.library_name, m.dingo["cachedBytes"] > 0]))',
      ].join('\n');
      for (const setup of ['hub1', 'hub2'] as const) {
        const { stdout } = await promisify(execFile)(pythonOf(setup), ['-c', script, g], {
          env: { PATH: process.env.PATH, HF_HUB_DISABLE_TELEMETRY: '1' },
        });
        expect(
          stdout
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l)),
        ).toEqual([
          ['org/big', 'org/llama-tiny'],
          ['org/bert-gguf'],
          ['org/corpus'],
          ['text-generation', 'transformers', true],
        ]);
      }
      // The CLI lists offline too.
      const run = await w.dingo(['list', '--task', 'fill-mask', '--json']);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).map((i: { id: string }) => i.id)).toEqual(['org/bert-gguf']);
    } finally {
      await w.sim.restart();
    }
  });

  it('lists, searches, informs and reports status', async () => {
    const table = await w.dingo(['list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^TYPE\s+ID\s+TASK\s+LIBRARY\s+SIZE\s+CACHED/);
    expect(table.stdout).toMatch(/model\s+org\/llama-tiny\s+text-generation\s+transformers/);
    expect(table.stdout).toMatch(/dataset\s+org\/corpus/);
    const filtered = await w.dingo([
      'list',
      '--type',
      'model',
      '--library',
      'transformers',
      '--min-size',
      '30MB',
      '--json',
    ]);
    expect(JSON.parse(filtered.stdout).map((i: { id: string }) => i.id)).toEqual(['org/big']);
    const search = await w.dingo(['search', 'org', 'gguf', '--json']);
    expect(JSON.parse(search.stdout).map((i: { id: string }) => i.id)).toEqual(['org/bert-gguf']);
    const local = await w.dingo(['list', '--local', '--json']);
    expect(JSON.parse(local.stdout).map((r: { id: string }) => r.id)).toEqual(['org/big', 'org/llama-tiny']);
    const info = await w.dingo(['info', 'org/llama-tiny']);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/task\s+text-generation/);
    expect(info.stdout).toMatch(/files\s+5/);
    const status = await w.dingo(['status', '--json']);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s.ready).toBe(true);
    expect(s.servedBytes.upstream + s.servedBytes.cache).toBeGreaterThan(60 * MiB);
    expect(s.hitRate).toBeGreaterThan(0);
    // Up or still backing off after the offline cases above: what matters is that it is reported.
    expect(s.upstreams).toEqual([
      expect.objectContaining({
        origin: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        up: expect.any(Boolean),
      }),
    ]);
    const text = await w.dingo(['status']);
    expect(text.stdout).toMatch(/^mirror\s+http:\/\/127\.0\.0\.1:\d+ ready/);
    expect(text.stdout).toMatch(/hit rate\s+[\d.]+%/);
  });

  it('fails with one clear line and a distinct exit code', async () => {
    const missing = await w.dingo(['pull', 'org/does-not-exist']);
    expect(missing.code).toBe(3);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^dingo: (401|404) RepoNotFound: /);
    const badRev = await w.dingo(['pull', 'org/llama-tiny', '--revision', 'no-such-branch']);
    expect(badRev.code).toBe(3);
    expect(badRev.stderr).toMatch(/RevisionNotFound/);
    const nothing = await w.dingo(['pull', 'org/llama-tiny', '--include', '*.gguf']);
    expect(nothing.code).toBe(3);
    const gated = await w.dingo(['pull', 'org/gated']);
    expect(gated.code).toBe(4);
    expect(gated.stderr).toMatch(/GatedRepo/);
    const down = await w.dingo(['status'], { DINGO_ENDPOINT: 'http://127.0.0.1:1' });
    expect(down.code).toBe(5);
    expect(down.stderr).toMatch(/^dingo: mirror http:\/\/127\.0\.0\.1:1 unreachable/);
    const pullDown = await w.dingo(['pull', 'org/llama-tiny', '--endpoint', 'http://127.0.0.1:1']);
    expect(pullDown.code).toBe(5);
    const usage = await w.dingo(['pull']);
    expect(usage.code).toBe(2);
    expect((await w.dingo(['pull', '../etc'])).code).toBe(2);
    expect((await w.dingo(['frobnicate'])).code).toBe(2);
    expect((await w.dingo(['pull', 'org/x', '--connections', '0'])).code).toBe(2);
    expect((await w.dingo(['--help'])).code).toBe(0);
  });

  it('uses HF_ENDPOINT when DINGO_ENDPOINT is absent, and refuses an endpoint that is not a URL', async () => {
    const viaHf = await w.dingo(['status', '--json'], { DINGO_ENDPOINT: '', HF_ENDPOINT: w.gateway.url });
    // An empty DINGO_ENDPOINT is not a URL: refused as usage.
    expect(viaHf.code).toBe(2);
    const run = await import('./cli-world').then((m) =>
      m.runProcess(['status', '--json'], {
        HF_ENDPOINT: w.gateway.url,
        DINGO_CONFIG_DIR: join(w.home, 'config'),
      }),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).endpoint).toBe(w.gateway.url);
  });

  it('logs in (token checked on the mirror, stored 0600), uses the stored token, and logs out', async () => {
    const wrong = await w.dingo(['login', '--token', 'hf_wrong']);
    expect(wrong.code).toBe(4);
    const login = await w.dingo(['login', '--token', 'hf_alice']);
    expect(login.code).toBe(0);
    expect(login.stderr).toMatch(/logged in to http:\/\/127\.0\.0\.1:\d+ as alice/);
    const file = join(w.home, 'config', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ endpoint: w.gateway.url, token: 'hf_alice' });
    // The gated repo alice is approved for: the stored token goes with every request.
    const gated = await w.dingo(['pull', 'org/gated', '--json']);
    expect(gated.code).toBe(0);
    expect(JSON.parse(gated.stdout)).toMatchObject({ files: 1, fetchedFiles: 1 });
    const logout = await w.dingo(['logout']);
    expect(logout.stderr).toMatch(/logged out/);
    expect(existsSync(file)).toBe(false);
    // Anonymous again: the gated file is refused (its info is public, as on the Hub).
    const dest = tempDir('cli-gated');
    try {
      expect((await w.dingo(['pull', 'org/gated', '--dest', dest.path])).code).toBe(4);
    } finally {
      dest.cleanup();
    }
  });
});

/** `dingo prefetch`: the mirror pulls a revision itself; the CLI follows until it is all cached. */
describe('dingo prefetch', () => {
  const password = 'prefetch-admin-password';
  let w: CliWorld;
  let admin: string;
  beforeAll(async () => {
    w = await startCliWorld(
      { bandwidthPerConnection: 16 * MiB },
      { auth: { adminPassword: password, jwtSecret: 'e2e-secret-e2e-secret-e2e-secret-e2e-secret' } },
    );
    const login = await fetch(`${w.gateway.url}/admin/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    admin = ((await login.json()) as { accessToken: string }).accessToken;
  });
  afterAll(() => w.close());

  it('queues a sync of the revision and follows it until every file is cached and verified', async () => {
    const run = await w.dingo(['prefetch', 'org/llama-tiny', '--token', admin]);
    expect(run.code).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^prefetch org\/llama-tiny@[0-9a-f]{12}: [0-4]\/5 files, /);
    expect(lines[lines.length - 2]).toMatch(/: 5\/5 files, 24\.3 MiB of 24\.3 MiB$/);
    expect(lines[lines.length - 1]).toMatch(
      /^prefetched org\/llama-tiny@[0-9a-f]{12}: 5 files, 24\.3 MiB in/,
    );
    // It is on the mirror: the catalogue says so, and a pull now is served from the cache.
    const [entry] = JSON.parse(
      (await http(`${w.gateway.url}/admin/v1/catalogue?search=llama`)).body.toString(),
    );
    expect(entry.dingo.cachedFiles).toBe(4);
    const big = await w.dingo(['prefetch', 'org/big', '--token', admin, '--json']);
    expect(big.code).toBe(0);
    expect(JSON.parse(big.stdout)).toMatchObject({ repo: 'org/big', files: 1, bytes: 40 * MiB });
  });

  it('refuses a caller who may not sync, with exit code 4', async () => {
    const run = await w.dingo(['prefetch', 'org/bert-gguf']);
    expect(run.code).toBe(4);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
