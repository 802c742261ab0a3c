import { gitBlobSha1, lfsPointerText } from './git-objects';
import type { HubSimulator } from './hub-simulator';
import { bearer, rawRequest, sha256, startSim } from './sim-test-fixtures';

describe('HubSimulator resolve', () => {
  let sim: HubSimulator;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ sim, cleanup } = await startSim()));
  afterAll(() => cleanup());

  const resolveUrl = (path: string, rev = 'main', id = 'acme/tiny') =>
    `${sim.url}/${id}/resolve/${rev}/${path}`;

  describe('regular files', () => {
    it('answers HEAD with the Hub headers and no body', async () => {
      const file = sim.repo('model', 'acme/tiny')!.file('main', 'config.json')!;
      const res = await rawRequest(resolveUrl('config.json'), { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(0);
      expect(res.headers).toMatchObject({
        etag: `"${file.blobId}"`,
        'x-repo-commit': sim.repo('model', 'acme/tiny')!.resolve('main')!.sha,
        'content-length': String(file.size),
        'accept-ranges': 'bytes',
        'content-type': 'application/json',
        'content-disposition': `inline; filename*=UTF-8''config.json; filename="config.json";`,
        vary: 'Origin, Accept-Encoding',
        'access-control-allow-origin': '*',
      });
      expect(res.headers['x-request-id']).toMatch(/^Root=1-/);
      expect(res.headers['access-control-expose-headers']).toContain('X-Linked-Size');
    });

    it('serves the content, whose git blob sha1 is the ETag', async () => {
      const res = await rawRequest(resolveUrl('config.json'));
      expect(res.body.toString()).toBe('{"model_type":"gpt2","n_layer":2}');
      expect(res.headers.etag).toBe(`"${gitBlobSha1(res.body)}"`);
      const text = await rawRequest(resolveUrl('nested/notes.txt'));
      expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
    });

    it('serves byte ranges and refuses unsatisfiable ones', async () => {
      const full = (await rawRequest(resolveUrl('config.json'))).body;
      const mid = await rawRequest(resolveUrl('config.json'), { headers: { Range: 'bytes=2-5' } });
      expect(mid.status).toBe(206);
      expect(mid.headers['content-range']).toBe(`bytes 2-5/${full.length}`);
      expect(mid.body).toEqual(full.subarray(2, 6));
      const tail = await rawRequest(resolveUrl('config.json'), { headers: { Range: 'bytes=-3' } });
      expect(tail.body).toEqual(full.subarray(full.length - 3));
      const open = await rawRequest(resolveUrl('config.json'), { headers: { Range: 'bytes=30-' } });
      expect(open.body).toEqual(full.subarray(30));
      const bad = await rawRequest(resolveUrl('config.json'), {
        headers: { Range: `bytes=${full.length}-` },
      });
      expect(bad.status).toBe(416);
      expect(bad.headers['content-range']).toBe(`bytes */${full.length}`);
    });

    it('gzips text when asked to, like the Hub, only with gzipTextFiles', async () => {
      const plain = await rawRequest(resolveUrl('config.json'), { headers: { 'Accept-Encoding': 'gzip' } });
      expect(plain.headers['content-encoding']).toBeUndefined();
    });
  });

  describe('LFS files', () => {
    it('redirects to a signed CDN URL with the linked headers', async () => {
      const file = sim.repo('model', 'acme/tiny')!.file('main', 'model.safetensors')!;
      for (const method of ['HEAD', 'GET']) {
        const res = await rawRequest(resolveUrl('model.safetensors'), { method });
        expect(res.status).toBe(302);
        expect(res.headers).toMatchObject({
          'x-linked-etag': `"${file.sha256}"`,
          'x-linked-size': String(file.size),
          etag: `"${file.sha256}"`,
          'x-repo-commit': sim.repo('model', 'acme/tiny')!.resolve('main')!.sha,
        });
        const location = new URL(res.headers.location!);
        expect(location.origin).toBe(sim.cdnUrl);
        expect(location.pathname).toBe(
          `/repos/${file.sha256.slice(0, 2)}/${file.sha256.slice(2, 4)}/${file.sha256}`,
        );
        expect(location.searchParams.get('response-content-disposition')).toContain('model.safetensors');
        expect(location.searchParams.get('Expires')).toMatch(/^\d+$/);
        if (method === 'GET')
          expect(res.body.toString()).toBe(`Found. Redirecting to ${res.headers.location}`);
      }
    });

    it('serves the bytes, ranges and 416 from the CDN', async () => {
      const file = sim.repo('model', 'acme/tiny')!.file('main', 'model.safetensors')!;
      const location = (await rawRequest(resolveUrl('model.safetensors'), { method: 'HEAD' })).headers
        .location!;
      const full = await rawRequest(location);
      expect(full.status).toBe(200);
      expect(full.headers).toMatchObject({
        'content-length': String(file.size),
        'accept-ranges': 'bytes',
        etag: `"${file.sha256}"`,
        'content-type': 'application/octet-stream',
      });
      expect(sha256(full.body)).toBe(file.sha256);
      expect(file.blobId).toBe(gitBlobSha1(lfsPointerText(file.sha256, file.size)));
      expect(file.pointerSize).toBe(lfsPointerText(file.sha256, file.size).length);

      const part = await rawRequest(location, { headers: { Range: 'bytes=1000-1999' } });
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 1000-1999/${file.size}`);
      expect(part.body).toEqual(full.body.subarray(1000, 2000));
      const bad = await rawRequest(location, { headers: { Range: `bytes=${file.size}-` } });
      expect(bad.status).toBe(416);
      expect(bad.headers['content-range']).toBe(`bytes */${file.size}`);
    });

    it('refuses tampered CDN URLs with an XML AccessDenied', async () => {
      const location = new URL(
        (await rawRequest(resolveUrl('model.safetensors'), { method: 'HEAD' })).headers.location!,
      );
      location.searchParams.set('Expires', String(Number(location.searchParams.get('Expires')) + 10));
      const res = await rawRequest(location.toString());
      expect(res.status).toBe(403);
      expect(res.body.toString()).toContain('<Code>AccessDenied</Code>');
    });

    it('serves the pointer file on /raw/', async () => {
      const file = sim.repo('model', 'acme/tiny')!.file('main', 'model.safetensors')!;
      const res = await rawRequest(`${sim.url}/acme/tiny/raw/main/model.safetensors`);
      expect(res.body.toString()).toBe(lfsPointerText(file.sha256, file.size));
      expect(res.headers.etag).toBe(`"${file.blobId}"`);
    });

    it('adds the Xet headers for xet files, and answers Xet-aware clients with file info', async () => {
      const repo = sim.repo('model', 'acme/tiny')!;
      const file = repo.file('main', 'xet.safetensors')!;
      const commit = repo.resolve('main')!.sha;
      const res = await rawRequest(resolveUrl('xet.safetensors'), { method: 'HEAD' });
      expect(res.status).toBe(302);
      expect(res.headers['x-xet-hash']).toMatch(/^[0-9a-f]{64}$/);
      expect(res.headers['x-xet-refresh-route']).toBe(`/api/models/acme/tiny/xet-read-token/${commit}`);
      expect(res.headers.link).toContain('rel="xet-auth"');
      expect(res.headers.link).toContain('rel="xet-reconstruction-info"');
      const info = await rawRequest(resolveUrl('xet.safetensors'), {
        headers: { Accept: 'application/vnd.xet-fileinfo+json, */*', Range: 'bytes=0-0' },
      });
      expect(info.status).toBe(200);
      expect(info.headers['content-type']).toBe('application/vnd.xet-fileinfo+json');
      expect(JSON.parse(info.body.toString())).toMatchObject({ hash: file.xetHash, size: file.size });
      const plain = await rawRequest(resolveUrl('model.safetensors'), { method: 'HEAD' });
      expect(plain.headers['x-xet-hash']).toBeUndefined();
    });
  });

  describe('revisions', () => {
    it('resolves branches, tags, full and short commits, encoded refs', async () => {
      const repo = sim.repo('model', 'acme/tiny')!;
      const [c0, c1, c2] = repo.commits.map((c) => c.sha);
      const cases: Array<[string, string]> = [
        ['main', c2],
        ['dev', c1],
        ['v1.0', c0],
        [c1, c1],
        [c0.slice(0, 7), c0],
        ['refs%2Fpr%2F1', c1],
      ];
      for (const [rev, sha] of cases) {
        const res = await rawRequest(resolveUrl('config.json', rev), { method: 'HEAD' });
        expect([rev, res.status, res.headers['x-repo-commit']]).toEqual([rev, 200, sha]);
      }
      const v0 = await rawRequest(resolveUrl('config.json', 'v1.0'));
      expect(v0.body.toString()).toBe('{"model_type":"gpt2"}');
    });

    it('resolves refs/convert/parquet on an orphan history of a dataset', async () => {
      const data = sim.repo('dataset', 'acme/data')!;
      const res = await rawRequest(
        `${sim.url}/datasets/acme/data/resolve/refs%2Fconvert%2Fparquet/default/train/0000.parquet`,
        {
          method: 'HEAD',
        },
      );
      expect(res.status).toBe(302);
      expect(res.headers['x-repo-commit']).toBe(data.commits[0].sha);
      const main = await rawRequest(`${sim.url}/datasets/acme/data/resolve/main/default/train/0000.parquet`, {
        method: 'HEAD',
      });
      expect(main.headers['x-error-code']).toBe('EntryNotFound');
      expect(main.headers['x-repo-commit']).toBe(data.commits.at(-1)!.sha);
    });

    it('answers RevisionNotFound for unknown revisions', async () => {
      const res = await rawRequest(resolveUrl('config.json', 'nope'));
      expect(res.status).toBe(404);
      expect(res.headers['x-error-code']).toBe('RevisionNotFound');
      expect(res.headers['x-error-message']).toBe('Invalid rev id: nope');
      expect(JSON.parse(res.body.toString())).toEqual({ error: 'Invalid rev id: nope' });
    });
  });

  describe('errors and access', () => {
    const code = async (url: string, headers: Record<string, string> = {}) => {
      const res = await rawRequest(url, { method: 'GET', headers });
      return [res.status, res.headers['x-error-code'] ?? null, res.headers['content-type']];
    };
    const json = 'application/json; charset=utf-8';

    it('maps missing repos, files and bad paths', async () => {
      expect(await code(resolveUrl('config.json', 'main', 'acme/missing'))).toEqual([
        401,
        'RepoNotFound',
        json,
      ]);
      expect(await code(resolveUrl('config.json', 'main', 'acme/missing'), bearer('hf_bad'))).toEqual([
        401,
        'RepoNotFound',
        json,
      ]);
      expect(await code(resolveUrl('config.json', 'main', 'acme/missing'), bearer('hf_reader'))).toEqual([
        404,
        'RepoNotFound',
        json,
      ]);
      expect(await code(resolveUrl('missing.json'))).toEqual([404, 'EntryNotFound', json]);
      expect(await code(resolveUrl('nested'))).toEqual([404, 'EntryNotFound', json]);
      expect(await code(`${sim.url}/acme/tiny/resolve/main/nested/%2E%2E/config.json`)).toEqual([
        400,
        null,
        json,
      ]);
      expect(await code(`${sim.url}/acme/tiny/nothing-here`)).toEqual([404, null, json]);
    });

    it('hides private repos from whoever is not entitled', async () => {
      const url = resolveUrl('config.json', 'main', 'acme/private-model');
      expect(await code(url)).toEqual([401, 'RepoNotFound', json]);
      expect(await code(url, bearer('hf_reader'))).toEqual([404, 'RepoNotFound', json]);
      expect((await code(url, bearer('hf_approved')))[0]).toBe(200);
      expect((await code(url, bearer('hf_owner')))[0]).toBe(200);
    });

    it('gates files: 401 anonymous, 403 not approved, 200 approved; info stays readable', async () => {
      const url = resolveUrl('config.json', 'main', 'acme/gated-model');
      const anon = await rawRequest(url);
      expect([anon.status, anon.headers['x-error-code']]).toEqual([401, 'GatedRepo']);
      expect(anon.headers['x-error-message']).toBe(
        'Access to model acme/gated-model is restricted. You must have access to it and be authenticated to access it. Please log in.',
      );
      const denied = await rawRequest(url, { headers: bearer('hf_reader') });
      expect([denied.status, denied.headers['x-error-code']]).toEqual([403, 'GatedRepo']);
      expect(denied.headers['x-error-message']).toBe(
        `Access to model acme/gated-model is restricted and you are not in the authorized list. Visit ${sim.url}/acme/gated-model to ask for access.`,
      );
      expect((await rawRequest(url, { headers: bearer('hf_approved') })).status).toBe(200);
      expect((await rawRequest(url, { headers: bearer('hf_all') })).status).toBe(200);
      const info = await rawRequest(`${sim.url}/api/models/acme/gated-model`);
      expect(info.status).toBe(200);
      expect(JSON.parse(info.body.toString()).gated).toBe('manual');
      const tree = await rawRequest(`${sim.url}/api/models/acme/gated-model/tree/main`);
      expect(tree.status).toBe(401);
    });
  });

  it('records requests with origin, status, range and token', async () => {
    sim.stats.reset();
    const location = (await rawRequest(resolveUrl('model.safetensors'), { headers: bearer('hf_reader') }))
      .headers.location!;
    await rawRequest(location, { headers: { Range: 'bytes=0-99' } });
    expect(sim.stats.requests).toEqual([
      {
        method: 'GET',
        origin: 'hub',
        path: '/acme/tiny/resolve/main/model.safetensors',
        status: 302,
        auth: 'hf_reader',
      },
      expect.objectContaining({ method: 'GET', origin: 'cdn', status: 206, range: 'bytes=0-99' }),
    ]);
    expect(sim.stats.count({ origin: 'cdn' })).toBe(1);
    expect(sim.stats.count({ pathIncludes: 'model.safetensors' })).toBe(2);
    expect(sim.stats.bytesServed({ path: 'model.safetensors' })).toBe(100);
  });
});
