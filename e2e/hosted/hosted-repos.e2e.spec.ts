import { createHash, randomBytes } from 'node:crypto';
import { AccessWorld, startAccessWorld } from '../access/fixtures';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Hosted repos over real HTTP, with the requests exactly as huggingface_hub sends them. */
describe('hosted repos (raw HTTP, as huggingface_hub speaks)', () => {
  let w: AccessWorld;
  let uploader: string;
  let reader: string;
  let outsider: string;

  beforeAll(async () => {
    w = await startAccessWorld({}, { localNamespaces: ['acme', 'research-*'] });
    const up = await w.user('up');
    await w.team(
      'uploaders',
      [up],
      [
        { role: 'uploader', pattern: 'acme/*' },
        { role: 'uploader', pattern: 'allowed/*' },
      ],
    );
    uploader = up.token;
    const rd = await w.user('rd');
    await w.team('readers', [rd], [{ role: 'reader', pattern: 'acme/*' }]);
    reader = rd.token;
    outsider = (await w.user('nobody')).token;
  }, 60_000);
  afterAll(() => w?.close());

  const create = (name: string, token = uploader, extra: Record<string, unknown> = {}) =>
    w.call('POST', '/api/repos/create', {
      token,
      body: { name, organization: 'acme', type: 'model', ...extra },
    });

  async function batch(repo: string, objects: { oid: string; size: number }[], token = uploader) {
    const res = await fetch(`${w.url}/${repo}.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/vnd.git-lfs+json',
        'content-type': 'application/vnd.git-lfs+json',
      },
      body: JSON.stringify({
        operation: 'upload',
        transfers: ['basic', 'multipart', 'xet'],
        objects,
        hash_algo: 'sha256',
        ref: { name: 'main' },
      }),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  async function commit(repo: string, lines: unknown[], token = uploader, rev = 'main') {
    const res = await fetch(`${w.url}/api/models/${repo}/commit/${rev}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: lines.map((l) => JSON.stringify(l)).join('\n'),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  }

  async function download(repo: string, rev: string, path: string, token?: string) {
    const res = await fetch(`${w.url}/${repo}/resolve/${rev}/${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  it('creates a repo in a local namespace; a second create is 409; outside the namespaces 403', async () => {
    const first = await create('m1');
    expect(first.status).toBe(200);
    expect(first.body.url).toBe(`${w.url}/acme/m1`);
    const again = await create('m1');
    expect(again.status).toBe(409);
    expect(again.headers.get('x-error-code')).toBe('Conflict');
    const outside = await w.call('POST', '/api/repos/create', {
      token: uploader,
      body: { name: 'm', organization: 'allowed', type: 'model' },
    });
    expect(outside.status).toBe(403);
    expect(outside.headers.get('x-error-message')).toMatch(/local namespace/);
    expect(outside.body.error).toMatch(/local namespace/);
    expect((await create('m2', reader)).status).toBe(403);
    expect((await create('m2', '')).status).toBe(401);
  });

  it('uploads a small file and an LFS file, then serves them byte-identical with resolve, tree and info', async () => {
    expect((await create('m3')).status).toBe(200);
    const small = Buffer.from('{"model_type":"bert"}\n');
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const oid = sha256(big);

    const pre = await w.call('POST', '/api/models/acme/m3/preupload/main', {
      token: uploader,
      body: {
        files: [
          { path: 'config.json', size: small.length, sample: small.toString('base64') },
          { path: 'model.safetensors', size: big.length, sample: big.subarray(0, 512).toString('base64') },
        ],
      },
    });
    expect(pre.status).toBe(200);
    expect(pre.body.files.map((f: any) => f.uploadMode)).toEqual(['regular', 'lfs']);

    // huggingface_hub asks about 256 files at once, each with a 512-byte sample (~200 KB of JSON).
    const many = Array.from({ length: 256 }, (_, i) => ({
      path: `folder/file-${i}.txt`,
      size: 512,
      sample: randomBytes(384).toString('base64').slice(0, 683),
    }));
    const bulk = await w.call('POST', '/api/models/acme/m3/preupload/main', {
      token: uploader,
      body: { files: many },
    });
    expect(bulk.status).toBe(200);
    expect(bulk.body.files).toHaveLength(256);

    const b = await batch('acme/m3', [{ oid, size: big.length }]);
    expect(b.status).toBe(200);
    expect(b.body.transfer).toBe('basic');
    const href: string = b.body.objects[0].actions.upload.href;
    expect(href.startsWith(`${w.url}/acme/m3.git/info/lfs/objects/${oid}/`)).toBe(true);
    // The PUT carries no credentials (as huggingface_hub sends it): the URL is signed.
    const put = await fetch(href, { method: 'PUT', body: big });
    expect(put.status).toBe(200);
    // Known now: the batch answers without actions.
    expect((await batch('acme/m3', [{ oid, size: big.length }])).body.objects[0].actions).toBeUndefined();

    const info0 = await w.call('GET', '/api/models/acme/m3/revision/main', { token: uploader });
    const c = await commit('acme/m3', [
      { key: 'header', value: { summary: 'Add model', description: '', parentCommit: info0.body.sha } },
      { key: 'file', value: { path: 'config.json', content: small.toString('base64'), encoding: 'base64' } },
      { key: 'lfsFile', value: { path: 'model.safetensors', algo: 'sha256', oid, size: big.length } },
    ]);
    expect(c.status).toBe(200);
    expect(c.body.commitOid).toMatch(/^[0-9a-f]{40}$/);
    expect(c.body.commitUrl).toBe(`${w.url}/acme/m3/commit/${c.body.commitOid}`);
    // Audited: who, which token, the commit, its files and bytes.
    const audit = await w.admin('GET', '/admin/v1/audit?action=upload&repo=acme/m3');
    expect(audit.items.find((e: any) => e.detail?.commit === c.body.commitOid)).toMatchObject({
      username: 'up',
      status: 200,
      repoType: 'model',
      bytes: small.length + big.length,
      detail: { files: ['config.json', 'model.safetensors'], fileCount: 2, revision: 'main' },
    });

    for (const rev of ['main', c.body.commitOid, c.body.commitOid.slice(0, 7)]) {
      const s = await download('acme/m3', rev, 'config.json');
      expect(s.status).toBe(200);
      expect(s.bytes.equals(small)).toBe(true);
      expect(s.headers.get('x-repo-commit')).toBe(c.body.commitOid);
      const l = await download('acme/m3', rev, 'model.safetensors');
      expect(l.status).toBe(200);
      expect(sha256(l.bytes)).toBe(oid);
      expect(l.headers.get('x-linked-etag')).toBe(`"${oid}"`);
    }
    const ranged = await fetch(`${w.url}/acme/m3/resolve/main/model.safetensors`, {
      headers: { range: 'bytes=10-19' },
    });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(big.subarray(10, 20))).toBe(true);

    const tree = await w.call('GET', '/api/models/acme/m3/tree/main?recursive=true');
    expect(tree.status).toBe(200);
    expect(tree.body.map((e: any) => [e.path, e.size, e.lfs?.oid])).toEqual([
      ['config.json', small.length, undefined],
      ['model.safetensors', big.length, oid],
    ]);
    const info = await w.call('GET', '/api/models/acme/m3');
    expect(info.body.sha).toBe(c.body.commitOid);
    expect(info.body.siblings.map((s: any) => s.rfilename)).toEqual(['config.json', 'model.safetensors']);
    const missing = await download('acme/m3', 'main', 'nope.txt');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-error-code')).toBe('EntryNotFound');

    // Pull requests are not hosted: refused, never silently committed to main.
    const pr = await fetch(`${w.url}/api/models/acme/m3/commit/main?create_pr=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${uploader}`, 'content-type': 'application/x-ndjson' },
      body: JSON.stringify({ key: 'header', value: { summary: 'pr' } }),
    });
    expect(pr.status).toBe(400);
    // A stale parentCommit is refused like the Hub (412), and nothing changes.
    const stale = await commit('acme/m3', [
      { key: 'header', value: { summary: 'late', parentCommit: info0.body.sha } },
      { key: 'deletedFile', value: { path: 'config.json' } },
    ]);
    expect(stale.status).toBe(412);
    expect((await download('acme/m3', 'main', 'config.json')).status).toBe(200);
  });

  it('refuses an upload whose bytes do not hash to the oid, and stores nothing', async () => {
    expect((await create('m4')).status).toBe(200);
    const body = randomBytes(300_000);
    const oid = sha256(Buffer.from('something else'));
    const b = await batch('acme/m4', [{ oid, size: body.length }]);
    const put = await fetch(b.body.objects[0].actions.upload.href, { method: 'PUT', body });
    expect(put.status).toBe(400);
    expect(put.headers.get('x-error-message')).toMatch(/sha256 mismatch/);
    // Still unknown: the batch asks for the upload again, and a commit naming it is refused.
    expect(
      (await batch('acme/m4', [{ oid, size: body.length }])).body.objects[0].actions.upload,
    ).toBeDefined();
    const c = await commit('acme/m4', [
      { key: 'header', value: { summary: 'x' } },
      { key: 'lfsFile', value: { path: 'w.bin', algo: 'sha256', oid, size: body.length } },
    ]);
    expect(c.status).toBe(400);
    // A tampered signature is refused.
    const forged = (b.body.objects[0].actions.upload.href as string).replace(/sig=[0-9a-f]{4}/, 'sig=0000');
    expect((await fetch(forged, { method: 'PUT', body })).status).toBe(403);
  });

  it('multipart LFS transfer: parts to signed URLs, ETags, completion; a corrupted part stores nothing', async () => {
    expect((await create('m6')).status).toBe(200);
    const big = randomBytes(8 * 1024 * 1024 + 3 * 1024 * 1024 + 11);
    const oid = sha256(big);
    const b = await batch('acme/m6', [{ oid, size: big.length }]);
    const { href, header } = b.body.objects[0].actions.upload;
    const partSize = Number(header.chunk_size);
    const partUrls = Object.keys(header)
      .filter((k) => /^[0-9]+$/.test(k))
      .sort()
      .map((k) => header[k] as string);
    expect(partUrls).toHaveLength(Math.ceil(big.length / partSize));
    const put = (n: number, body: Buffer) => fetch(partUrls[n], { method: 'PUT', body });

    // A corrupted part: the parts are accepted, the completion refuses the whole (sha256).
    const bad = Buffer.from(big.subarray(0, partSize));
    bad[5] ^= 1;
    expect((await put(0, bad)).status).toBe(200);
    for (let n = 1; n < partUrls.length; n++)
      expect((await put(n, big.subarray(n * partSize, (n + 1) * partSize))).status).toBe(200);
    const refused = await fetch(href, { method: 'POST', body: JSON.stringify({ oid, parts: [] }) });
    expect(refused.status).toBe(400);
    expect((await batch('acme/m6', [{ oid, size: big.length }])).body.objects[0].actions).toBeDefined();

    // A part of the wrong length is refused at once; then the real upload, parts out of order.
    expect((await put(0, big.subarray(0, 10))).status).toBe(400);
    const etags: string[] = [];
    for (const n of [...partUrls.keys()].reverse()) {
      const res = await put(n, big.subarray(n * partSize, (n + 1) * partSize));
      expect(res.status).toBe(200);
      etags[n] = res.headers.get('etag')!;
    }
    expect(etags.every(Boolean)).toBe(true);
    const done = await fetch(href, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.git-lfs+json' },
      body: JSON.stringify({ oid, parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })) }),
    });
    expect(done.status).toBe(200);
    const c = await commit('acme/m6', [
      { key: 'header', value: { summary: 'big' } },
      { key: 'lfsFile', value: { path: 'big.bin', algo: 'sha256', oid, size: big.length } },
    ]);
    expect(c.status).toBe(200);
    expect(sha256((await download('acme/m6', 'main', 'big.bin')).bytes)).toBe(oid);
  });

  it('branches, tags, refs and commits; private repos need a grant; delete needs a maintainer', async () => {
    expect((await create('m5', uploader, { private: true })).status).toBe(200);
    const c = await commit(
      'acme/m5',
      [
        { key: 'header', value: { summary: 'one' } },
        {
          key: 'file',
          value: { path: 'a/b.txt', content: Buffer.from('hello').toString('base64'), encoding: 'base64' },
        },
      ],
      uploader,
    );
    expect(c.status).toBe(200);
    expect(
      (await w.call('POST', '/api/models/acme/m5/branch/dev', { token: uploader, body: {} })).status,
    ).toBe(200);
    expect(
      (await w.call('POST', '/api/models/acme/m5/tag/main', { token: uploader, body: { tag: 'v1' } })).status,
    ).toBe(200);
    const refs = await w.call('GET', '/api/models/acme/m5/refs', { token: reader });
    expect(refs.status).toBe(200);
    expect(refs.body.branches.map((b: any) => b.name).sort()).toEqual(['dev', 'main']);
    expect(refs.body.tags).toEqual([{ name: 'v1', ref: 'refs/tags/v1', targetCommit: c.body.commitOid }]);
    const commits = await w.call('GET', '/api/models/acme/m5/commits/v1', { token: reader });
    expect(commits.body.map((x: any) => x.title)).toEqual(['one', 'initial commit']);
    for (const rev of ['dev', 'v1'])
      expect((await download('acme/m5', rev, 'a/b.txt', reader)).bytes.toString()).toBe('hello');
    // Private: anonymous and ungranted callers learn nothing.
    expect((await download('acme/m5', 'main', 'a/b.txt')).status).toBe(401);
    expect((await download('acme/m5', 'main', 'a/b.txt', outsider)).status).toBe(404);
    // Listed with upstream's repos, marked hosted; the private one only to callers with a grant.
    const ids = async (q: string, token?: string) =>
      (await w.call('GET', `/api/models?${q}`, { token })).body.map(
        (r: any) => `${r.id}${r.hosted ? ' (hosted)' : ''}`,
      );
    expect(await ids('search=m5', reader)).toEqual(['acme/m5 (hosted)']);
    expect(await ids('search=m5', outsider)).toEqual([]);
    expect(await ids('search=m5')).toEqual([]);
    expect(await ids('author=acme')).toEqual(
      expect.arrayContaining(['acme/m3 (hosted)', 'acme/m1 (hosted)']),
    );
    expect(await ids('search=allowed/m')).toEqual(expect.arrayContaining(['allowed/m', 'allowed/m2']));
    // Settings (the private flag) take the maintainer role too; made public, anyone reads it.
    const settings = (token: string) =>
      w.call('PUT', '/api/models/acme/m5/settings', { token, body: { private: false } });
    expect((await settings(uploader)).status).toBe(403);
    expect((await settings(w.adminSession)).status).toBe(200);
    expect((await download('acme/m5', 'main', 'a/b.txt')).status).toBe(200);
    // Deleting takes the maintainer role.
    const del = { name: 'm5', organization: 'acme', type: 'model' };
    expect((await w.call('DELETE', '/api/repos/delete', { token: uploader, body: del })).status).toBe(403);
    expect((await w.call('DELETE', '/api/repos/delete', { token: w.adminSession, body: del })).status).toBe(
      200,
    );
    expect((await download('acme/m5', 'main', 'a/b.txt', reader)).status).toBe(404);
  });

  it('is in the catalogue once committed (marked hosted, with its files and size) and leaves it when deleted', async () => {
    expect((await create('catalogued')).status).toBe(200);
    const content = Buffer.from('{"model_type":"bert"}');
    expect(
      (
        await commit('acme/catalogued', [
          { key: 'header', value: { summary: 'config' } },
          {
            key: 'file',
            value: { path: 'config.json', content: content.toString('base64'), encoding: 'base64' },
          },
        ])
      ).status,
    ).toBe(200);
    const entry = async () => {
      const found = await w.admin('GET', '/admin/v1/catalogue?search=catalogued');
      return (found as Array<Record<string, any>>).find((r) => r.id === 'acme/catalogued');
    };
    // The catalogue is written off the request path.
    let row: Record<string, any> | undefined;
    for (let i = 0; i < 50 && !row?.dingo?.fileCount; i++) {
      row = await entry();
      if (!row?.dingo?.fileCount) await new Promise((r) => setTimeout(r, 100));
    }
    expect(row).toMatchObject({ id: 'acme/catalogued', dingo: { fileCount: 1 } });
    expect(row!.tags).toContain('hosted');
    const del = await w.call('DELETE', '/api/repos/delete', {
      token: w.adminSession,
      body: { name: 'catalogued', organization: 'acme', type: 'model' },
    });
    expect(del.status).toBe(200);
    for (let i = 0; i < 50 && row; i++) {
      row = await entry();
      if (row) await new Promise((r) => setTimeout(r, 100));
    }
    expect(row).toBeUndefined();
  });
});

describe('hosted repos under a deny-by-default upstream policy', () => {
  let w: AccessWorld;
  beforeAll(async () => {
    w = await startAccessWorld({ policyDefault: 'deny' }, { localNamespaces: ['acme'] });
  }, 60_000);
  afterAll(() => w?.close());

  it('serves hosted repos (the upstream repo policy is for upstream repos) and still denies upstream ones', async () => {
    const body = { name: 'kept', organization: 'acme', type: 'model' };
    expect((await w.call('POST', '/api/repos/create', { token: w.adminSession, body })).status).toBe(200);
    const res = await fetch(`${w.url}/api/models/acme/kept/commit/main`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.adminSession}`, 'content-type': 'application/x-ndjson' },
      body: [
        { key: 'header', value: { summary: 'add' } },
        {
          key: 'file',
          value: { path: 'x.txt', content: Buffer.from('x').toString('base64'), encoding: 'base64' },
        },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    });
    expect(res.status).toBe(200);
    const hosted = await fetch(`${w.url}/acme/kept/resolve/main/x.txt`);
    expect(hosted.status).toBe(200);
    expect(await hosted.text()).toBe('x');
    expect((await fetch(`${w.url}/allowed/m/resolve/main/config.json`)).status).toBe(403);
  });
});

describe('hosted repos never depend on upstream', () => {
  const push = async (w: AccessWorld, repo: string, content: Buffer) => {
    const token = w.adminSession;
    const [organization, name] = repo.split('/');
    const created = await w.call('POST', '/api/repos/create', { token, body: { name, organization } });
    expect(created.status).toBe(200);
    const oid = sha256(content);
    const batch = await fetch(`${w.url}/${repo}.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/vnd.git-lfs+json' },
      body: JSON.stringify({ operation: 'upload', objects: [{ oid, size: content.length }] }),
    });
    const href = ((await batch.json()) as any).objects[0].actions.upload.href;
    expect((await fetch(href, { method: 'PUT', body: content })).status).toBe(200);
    const res = await fetch(`${w.url}/api/models/${repo}/commit/main`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: [
        { key: 'header', value: { summary: 'add' } },
        { key: 'lfsFile', value: { path: 'w.bin', algo: 'sha256', oid, size: content.length } },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    });
    expect(res.status).toBe(200);
    return oid;
  };

  it('works with upstream unreachable: push, download, tree, info, listing', async () => {
    const w = await startAccessWorld({}, { localNamespaces: ['acme'], upstreams: ['http://127.0.0.1:9'] });
    try {
      const content = randomBytes(600_000);
      await push(w, 'acme/offline', content);
      const res = await fetch(`${w.url}/acme/offline/resolve/main/w.bin`);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(content)).toBe(true);
      expect((await w.call('GET', '/api/models/acme/offline/tree/main')).status).toBe(200);
      expect((await w.call('GET', '/api/models/acme/offline')).body.siblings).toHaveLength(1);
      const listed = await w.call('GET', '/api/models?search=offline');
      expect(listed.body.map((r: any) => r.id)).toEqual(['acme/offline']);
    } finally {
      await w.close();
    }
  });

  it('a hosted blob that lost a chunk fails the download; upstream is never asked for it', async () => {
    const w = await startAccessWorld({}, { localNamespaces: ['acme'] });
    try {
      const content = randomBytes(600_000); // three 256 KiB chunks
      const oid = await push(w, 'acme/lost', content);
      await w.gateway.adapters.store.delete({ blob: `sha256-${oid}`, index: 1 });
      const res = await fetch(`${w.url}/acme/lost/resolve/main/w.bin`);
      const intact = await res.arrayBuffer().then(
        (b) => res.status === 200 && Buffer.from(b).equals(content),
        () => false,
      );
      expect(intact).toBe(false);
      expect(w.sim.stats.requests.filter((r) => r.path.includes('acme'))).toEqual([]);
    } finally {
      await w.close();
    }
  });
});
