import type { HubSimulator } from './hub-simulator';
import { bearer, rawRequest, startSim } from './sim-test-fixtures';

interface TreeEntry {
  type: string;
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
  lastCommit?: { id: string; title: string; date: string };
}

describe('HubSimulator API', () => {
  let sim: HubSimulator;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ sim, cleanup } = await startSim({ treePageSize: 3 })));
  afterAll(() => cleanup());

  const getJson = async (path: string, headers: Record<string, string> = {}) => {
    const res = await rawRequest(`${sim.url}${path}`, { headers });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['x-request-id']).toBeDefined();
    expect(res.headers['access-control-allow-origin']).toBe('*');
    return { status: res.status, headers: res.headers, json: JSON.parse(res.body.toString()) };
  };

  /** Follows `Link: <…>; rel="next"` like the clients do. */
  const allPages = async (path: string) => {
    const pages: TreeEntry[][] = [];
    let url: string | undefined = `${sim.url}${path}`;
    while (url) {
      const res = await rawRequest(url);
      expect(res.status).toBe(200);
      pages.push(JSON.parse(res.body.toString()));
      url = /<([^>]+)>;\s+rel="next"/.exec(String(res.headers.link ?? ''))?.[1];
    }
    return pages;
  };

  it('describes a model, with blobs on request', async () => {
    const repo = sim.repo('model', 'acme/tiny')!;
    const { json } = await getJson('/api/models/acme/tiny');
    expect(json).toMatchObject({
      id: 'acme/tiny',
      modelId: 'acme/tiny',
      author: 'acme',
      sha: repo.resolve('main')!.sha,
      private: false,
      gated: false,
      disabled: false,
      pipeline_tag: 'text-generation',
      library_name: 'transformers',
      tags: ['transformers', 'safetensors'],
      cardData: { license: 'mit' },
    });
    expect(json._id).toMatch(/^[0-9a-f]{24}$/);
    expect(json.siblings.map((s: { rfilename: string }) => s.rfilename)).toEqual([
      'README.md',
      'big.txt',
      'config.json',
      'model.safetensors',
      'nested/dir/weights.bin',
      'nested/notes.txt',
      'xet.safetensors',
    ]);
    const { json: withBlobs } = await getJson('/api/models/acme/tiny?blobs=true');
    const model = repo.file('main', 'model.safetensors')!;
    const config = repo.file('main', 'config.json')!;
    expect(withBlobs.siblings).toContainEqual({
      rfilename: 'model.safetensors',
      blobId: model.blobId,
      size: model.size,
      lfs: { sha256: model.sha256, size: model.size, pointerSize: model.pointerSize },
    });
    expect(withBlobs.siblings).toContainEqual({
      rfilename: 'config.json',
      blobId: config.blobId,
      size: config.size,
    });
  });

  it('describes a revision, with encoded refs', async () => {
    const repo = sim.repo('model', 'acme/tiny')!;
    expect((await getJson('/api/models/acme/tiny/revision/v1.0')).json.sha).toBe(repo.commits[0].sha);
    expect((await getJson('/api/models/acme/tiny/revision/refs%2Fpr%2F1')).json.sha).toBe(
      repo.commits[1].sha,
    );
    const data = await getJson('/api/datasets/acme/data/revision/refs%2Fconvert%2Fparquet');
    expect(data.json.siblings).toEqual([{ rfilename: 'default/train/0000.parquet' }]);
    expect(data.json.modelId).toBeUndefined();
    const missing = await getJson('/api/models/acme/tiny/revision/nope');
    expect([missing.status, missing.headers['x-error-code']]).toEqual([404, 'RevisionNotFound']);
  });

  it('lists a tree recursively in pages linked by Link, in git order', async () => {
    const pages = await allPages('/api/models/acme/tiny/tree/main?recursive=true');
    expect(pages.map((p) => p.length)).toEqual([3, 3, 3]);
    const entries = pages.flat();
    expect(entries.map((e) => `${e.type[0]}:${e.path}`)).toEqual([
      'f:README.md',
      'f:big.txt',
      'f:config.json',
      'f:model.safetensors',
      'd:nested',
      'd:nested/dir',
      'f:nested/dir/weights.bin',
      'f:nested/notes.txt',
      'f:xet.safetensors',
    ]);
    const model = sim.repo('model', 'acme/tiny')!.file('main', 'model.safetensors')!;
    expect(entries.find((e) => e.path === 'model.safetensors')).toEqual({
      type: 'file',
      oid: model.blobId,
      size: model.size,
      path: 'model.safetensors',
      lfs: { oid: model.sha256, size: model.size, pointerSize: model.pointerSize },
    });
    expect(entries.find((e) => e.path === 'nested')).toEqual({
      type: 'directory',
      oid: expect.stringMatching(/^[0-9a-f]{40}$/),
      size: 0,
      path: 'nested',
    });
  });

  it('lists one folder, with lastCommit when expanded', async () => {
    const repo = sim.repo('model', 'acme/tiny')!;
    const [page] = await allPages('/api/models/acme/tiny/tree/main/nested?expand=true');
    expect(page.map((e) => e.path)).toEqual(['nested/dir', 'nested/notes.txt']);
    expect(page[1].lastCommit).toEqual({
      id: repo.commits[0].sha,
      title: 'initial commit',
      date: repo.commits[0].date.toISOString(),
    });
    const [root] = await allPages('/api/models/acme/tiny/tree/main?expand=true');
    expect(root.find((e) => e.path === 'config.json')!.lastCommit!.title).toBe('Update config');
    const missing = await getJson('/api/models/acme/tiny/tree/main/nope');
    expect([missing.status, missing.headers['x-error-code']]).toEqual([404, 'EntryNotFound']);
    const convert = await allPages(
      '/api/datasets/acme/data/tree/refs%2Fconvert%2Fparquet/default?recursive=1',
    );
    expect(convert.flat().map((e) => e.path)).toEqual(['default/train', 'default/train/0000.parquet']);
  });

  it('answers paths-info from a JSON body or a form', async () => {
    const url = `${sim.url}/api/models/acme/tiny/paths-info/main`;
    const json = await rawRequest(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ paths: ['config.json', 'nested', 'nope.txt'], expand: true }),
    });
    const entries = JSON.parse(json.body.toString()) as TreeEntry[];
    expect(entries.map((e) => [e.type, e.path])).toEqual([
      ['file', 'config.json'],
      ['directory', 'nested'],
    ]);
    expect(entries[0].lastCommit?.title).toBe('Update config');
    const form = await rawRequest(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'paths=model.safetensors&paths=README.md&expand=False',
    });
    const formEntries = JSON.parse(form.body.toString()) as TreeEntry[];
    expect(formEntries.map((e) => e.path)).toEqual(['model.safetensors', 'README.md']);
    expect(formEntries[0].lfs?.oid).toBe(
      sim.repo('model', 'acme/tiny')!.file('main', 'model.safetensors')!.sha256,
    );
    expect(formEntries[0].lastCommit).toBeUndefined();
  });

  it('lists public repos, paged by limit', async () => {
    const { json, headers } = await getJson('/api/models?limit=1');
    expect(json.map((r: { id: string }) => r.id)).toEqual(['acme/gated-model']);
    const next = /<([^>]+)>;\s+rel="next"/.exec(String(headers.link))![1];
    const page2 = JSON.parse((await rawRequest(next)).body.toString());
    expect(page2.map((r: { id: string }) => r.id)).toEqual(['acme/tiny']);
    expect((await getJson('/api/models?search=TIN')).json.map((r: { id: string }) => r.id)).toEqual([
      'acme/tiny',
    ]);
    expect((await getJson('/api/models?author=nobody')).json).toEqual([]);
    const owner = await getJson('/api/models', bearer('hf_owner'));
    expect(owner.json.map((r: { id: string }) => r.id)).toContain('acme/private-model');
    expect((await getJson('/api/datasets')).json.map((r: { id: string }) => r.id)).toEqual(['acme/data']);
  });

  it('tells who a token belongs to', async () => {
    const ok = await getJson('/api/whoami-v2', bearer('hf_reader'));
    expect(ok.json).toMatchObject({ type: 'user', name: 'reader', orgs: [] });
    expect((await getJson('/api/whoami-v2')).status).toBe(401);
    expect((await getJson('/api/whoami-v2', bearer('hf_bad'))).status).toBe(401);
  });

  it('lists refs', async () => {
    const repo = sim.repo('dataset', 'acme/data')!;
    const { json } = await getJson('/api/datasets/acme/data/refs');
    expect(json).toEqual({
      branches: [{ name: 'main', ref: 'refs/heads/main', targetCommit: repo.commits[1].sha }],
      converts: [{ name: 'parquet', ref: 'refs/convert/parquet', targetCommit: repo.commits[0].sha }],
      tags: [],
    });
  });

  it('answers unknown API routes and repos with JSON errors', async () => {
    const route = await getJson('/api/nothing');
    expect([route.status, route.json.error]).toEqual([404, expect.any(String)]);
    const repo = await getJson('/api/models/acme/missing');
    expect([repo.status, repo.headers['x-error-code']]).toEqual([401, 'RepoNotFound']);
    const priv = await getJson('/api/models/acme/private-model', bearer('hf_reader'));
    expect([priv.status, priv.headers['x-error-code']]).toEqual([404, 'RepoNotFound']);
  });
});
