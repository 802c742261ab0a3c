import { http } from '@dingo/testing';
import { blobKeyFor } from '@dingo/chunk-store';
import { startWorld, World } from './fixtures';

/** Prefetch jobs: a maintainer queues a repo revision; every file lands verified, fetched once. */
describe('pull-repo-snapshot and pull-file jobs', () => {
  let w: World;
  let session: string;
  beforeAll(async () => {
    w = await startWorld({ auth: { adminPassword: 'sync-admin-password' } });
    const login = await http(`${w.gateway.url}/admin/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'sync-admin-password' }),
    });
    session = JSON.parse(login.body.toString()).accessToken;
  });
  afterAll(() => w.close());

  const post = (path: string, body: unknown, token?: string) =>
    http(`${w.gateway.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  it('pulls every file of a revision into the cache, verified, each byte once', async () => {
    expect((await post('/admin/v1/sync/models/org/model', {})).status).toBe(401);
    w.sim.stats.reset();
    const res = await post('/admin/v1/sync/models/org/model', { revision: 'main' }, session);
    expect(res.status).toBe(202);
    expect(JSON.parse(res.body.toString()).queued).toBe('pull-repo-snapshot');
    const files = [...w.sim.repo('model', 'org/model')!.resolve('main')!.files.values()];
    const meta = w.gateway.adapters.meta;
    const deadline = Date.now() + 30_000;
    const verified = async () => {
      const states = await Promise.all(
        files.map(
          async (f) =>
            (await meta.getBlob(blobKeyFor({ sha256: f.lfs ? f.sha256 : null, gitBlobId: f.blobId })))?.state,
        ),
      );
      return states.every((s) => s === 'verified');
    };
    while (!(await verified())) {
      if (Date.now() > deadline) throw new Error('snapshot was not pulled in time');
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const f of files) expect(w.sim.stats.bytesServed({ sha256: f.sha256 })).toBe(f.size);
  });

  it('queues a single file and validates the body', async () => {
    const ok = await post(
      '/admin/v1/sync/datasets/org/data',
      { revision: 'main', path: 'data/train-00000.parquet' },
      session,
    );
    expect(ok.status).toBe(202);
    expect(JSON.parse(ok.body.toString()).queued).toBe('pull-file');
    const bad = await post(
      '/admin/v1/sync/datasets/org/data',
      { revision: 'main', path: '../etc/passwd' },
      session,
    );
    expect(bad.status).toBe(400);
    const unknown = await post('/admin/v1/sync/models/org/model', { nope: 1 }, session);
    expect(unknown.status).toBe(400);
  });
});
