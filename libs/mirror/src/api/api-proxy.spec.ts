import { parseApiRepoPath } from '@dingo/hub-protocol';
import { json, unreachable } from '@dingo/upstream/testing';
import { COMMIT, metadataCore } from '../testing/unit-harness';
import { ApiRequest } from './api-proxy';

const PUBLIC_BASE = 'https://mirror.local';

function get(url: string, authorization?: string): ApiRequest {
  return {
    method: 'GET',
    url,
    route: parseApiRepoPath(url.split('?')[0]),
    authorization,
    publicBase: PUBLIC_BASE,
  };
}

const INFO = {
  id: 'o/m',
  sha: COMMIT,
  private: false,
  gated: false,
  siblings: [{ rfilename: 'config.json' }],
};

describe('ApiProxy', () => {
  let now: number;
  let core: ReturnType<typeof metadataCore>;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    core = metadataCore({ revisionTtlMs: 60_000 });
  });
  afterEach(() => jest.restoreAllMocks());

  const calls = (part: string) => core.upstream.sent(part).length;
  const text = (body: Buffer) => body.toString('utf8');

  it('asks upstream once, then answers from its cache within the TTL', async () => {
    core.upstream.answer(() => json(INFO, 200, { etag: '"v1"' }));
    const miss = await core.api.handle(get('/api/models/o/m'));
    expect(miss).toMatchObject({ status: 200, headers: { 'X-Dingo-Cache': 'MISS', etag: '"v1"' } });
    expect(JSON.parse(text(miss.body))).toEqual(INFO);
    now += 59_000;
    const hit = await core.api.handle(get('/api/models/o/m'));
    expect(hit.headers['X-Dingo-Cache']).toBe('HIT');
    expect(hit.body).toEqual(miss.body);
    expect(calls('/api/models/o/m')).toBe(1);
    expect(core.upstream.requests[0].headers).toMatchObject({
      accept: 'application/json',
      'accept-encoding': 'identity',
    });
  });

  it('one question spelled two ways shares one cache entry', async () => {
    core.upstream.answer(() => json([]));
    await core.api.handle(get('/api/models/o/m/tree/main?recursive=True&expand=False'));
    const second = await core.api.handle(get('/api/models/o/m/tree/main?recursive=true'));
    expect(second.headers['X-Dingo-Cache']).toBe('HIT');
    expect(core.upstream.requests.map((r) => r.url)).toEqual([
      'https://hub.test/api/models/o/m/tree/main?recursive=true',
    ]);
  });

  it('serves the cached answer (STALE) when upstream is unreachable after the TTL', async () => {
    core.upstream.answer(() => json(INFO));
    const first = await core.api.handle(get('/api/models/o/m'));
    now += 3_600_000;
    core.upstream.answer((req) => unreachable(req.url));
    const stale = await core.api.handle(get('/api/models/o/m'));
    expect(stale).toMatchObject({ status: 200, headers: { 'X-Dingo-Cache': 'STALE' } });
    expect(stale.body).toEqual(first.body);
  });

  it('serves the cached answer (STALE) when upstream answers 5xx', async () => {
    core.upstream.answer(() => json(INFO));
    await core.api.handle(get('/api/models/o/m'));
    now += 3_600_000;
    core.upstream.answer(() => ({ status: 503, body: 'overloaded' }));
    expect((await core.api.handle(get('/api/models/o/m'))).headers['X-Dingo-Cache']).toBe('STALE');
  });

  it('a 200 page that is not JSON (a captive portal) is not cached: the good answer stays and is served', async () => {
    const portal = {
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html>Log in to the Wi-Fi</html>',
    };
    core.upstream.answer(() => json(INFO));
    const good = await core.api.handle(get('/api/models/o/m'));
    now += 3_600_000;
    core.upstream.answer(() => portal);
    const during = await core.api.handle(get('/api/models/o/m'));
    expect(during).toMatchObject({ status: 200, headers: { 'X-Dingo-Cache': 'STALE' } });
    expect(during.body).toEqual(good.body);
    // Upstream well again: its answer is taken as usual.
    core.upstream.answer(() => json({ ...INFO, sha: 'f'.repeat(40) }));
    expect(JSON.parse(text((await core.api.handle(get('/api/models/o/m'))).body)).sha).toBe('f'.repeat(40));
  });

  it('a 200 page that is not JSON, with nothing cached, is a 502 and is not cached', async () => {
    core.upstream.answer(() => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html>portal</html>',
    }));
    await expect(core.api.handle(get(`/api/models/o/m/revision/${COMMIT}`))).rejects.toMatchObject({
      status: 502,
    });
    core.upstream.answer(() => json(INFO));
    const next = await core.api.handle(get(`/api/models/o/m/revision/${COMMIT}`));
    expect(next.headers['X-Dingo-Cache']).toBe('MISS');
    expect(JSON.parse(text(next.body)).sha).toBe(COMMIT);
  });

  it('with nothing cached and upstream unreachable: 503 in the Hub format', async () => {
    core.upstream.answer((req) => unreachable(req.url));
    await expect(core.api.handle(get('/api/models/o/m'))).rejects.toMatchObject({
      status: 503,
      code: 'UpstreamUnavailable',
    });
  });

  it('keeps answers addressed by a commit forever', async () => {
    core.upstream.answer(() => json(INFO));
    await core.api.handle(get(`/api/models/o/m/revision/${COMMIT}`));
    now += 365 * 24 * 3_600_000;
    expect((await core.api.handle(get(`/api/models/o/m/revision/${COMMIT}`))).headers['X-Dingo-Cache']).toBe(
      'HIT',
    );
    expect(core.upstream.requests.filter((r) => r.url.includes('/revision/'))).toHaveLength(1);
  });

  it('refreshes an expired answer once for a burst of callers (single-flight)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    core.upstream.answer(async () => {
      await gate;
      return json(INFO);
    });
    const burst = Promise.all([1, 2, 3].map(() => core.api.handle(get('/api/models/o/m'))));
    await new Promise((r) => setImmediate(r));
    release();
    const answers = await burst;
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(calls('/api/models/o/m')).toBe(1);
  });

  it("passes on upstream's refusal, and remembers it for that caller's cached reads", async () => {
    core.upstream.answer(() => json(INFO));
    await core.api.handle(get('/api/models/o/m'));
    await core.access.learnVisibility({ type: 'model', id: 'o/m' }, 'gated');
    now += 3_600_000;
    core.upstream.answer(() => ({
      status: 403,
      headers: { 'x-error-code': 'GatedRepo', 'x-error-message': 'Access to this repo is restricted' },
    }));
    await expect(core.api.handle(get('/api/models/o/m', 'Bearer nope'))).rejects.toMatchObject({
      status: 403,
      code: 'GatedRepo',
    });
    // Offline now: the cached answer is not served to the caller upstream refused.
    core.upstream.answer((req) => unreachable(req.url));
    await expect(core.api.handle(get('/api/models/o/m', 'Bearer nope'))).rejects.toMatchObject({
      status: 403,
      code: 'GatedRepo',
    });
  });

  it('learns from an info answer: the revision, the visibility and the commit file list', async () => {
    core.upstream.answer(() =>
      json({ ...INFO, siblings: [{ rfilename: 'config.json', blobId: 'b'.repeat(40), size: 12 }] }),
    );
    await core.api.handle(get('/api/models/o/m/revision/main'));
    expect(await core.meta.getRevision('model', 'o/m', 'main')).toMatchObject({ commit: COMMIT });
    expect(await core.meta.getRepo('models/o/m')).toMatchObject({ visibility: 'public' });
    expect((await core.meta.getManifest('model', 'o/m', COMMIT))!.entries).toEqual([
      { path: 'config.json', size: 12, blobId: 'b'.repeat(40) },
    ]);
  });

  it("puts the mirror's public base into links, and keeps cache entries origin-free", async () => {
    core.upstream.answer(() =>
      json([], 200, { link: '<https://hub.test/api/models?cursor=abc>; rel="next"' }),
    );
    const req = { method: 'GET' as const, url: '/api/models?author=o', publicBase: PUBLIC_BASE };
    expect((await core.api.handle(req)).headers.link).toBe(
      `<${PUBLIC_BASE}/api/models?cursor=abc>; rel="next"`,
    );
    const other = await core.api.handle({ ...req, publicBase: 'http://10.0.0.2:8080' });
    expect(other.headers).toMatchObject({
      'X-Dingo-Cache': 'HIT',
      link: '<http://10.0.0.2:8080/api/models?cursor=abc>; rel="next"',
    });
  });

  it('caches answers that are not about a repo per caller', async () => {
    core.upstream.answer((req) => json({ name: req.headers?.authorization }));
    const whoami = (auth: string) =>
      core.api.handle({ method: 'GET', url: '/api/whoami-v2', authorization: auth, publicBase: PUBLIC_BASE });
    expect(text((await whoami('Bearer a')).body)).toContain('Bearer a');
    expect(text((await whoami('Bearer b')).body)).toContain('Bearer b');
    expect(calls('/api/whoami-v2')).toBe(2);
  });

  it('an HTTP-only mirror strips Xet hashes from listings and refuses the Xet token route', async () => {
    core.upstream.answer(() =>
      json([{ type: 'file', path: 'w.bin', oid: 'x', size: 1, xetHash: 'f'.repeat(64) }]),
    );
    const tree = await core.api.handle(get('/api/models/o/m/tree/main'));
    expect(JSON.parse(text(tree.body))).toEqual([{ type: 'file', path: 'w.bin', oid: 'x', size: 1 }]);
    await expect(core.api.handle(get('/api/models/o/m/xet-read-token/main'))).rejects.toMatchObject({
      status: 404,
    });
  });
});
