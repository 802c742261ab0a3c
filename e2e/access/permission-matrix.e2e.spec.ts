import { AccessWorld, Reply, startAccessWorld } from './fixtures';

type Role = 'anonymous' | 'reader' | 'uploader' | 'maintainer' | 'admin';
type Action = 'download' | 'list' | 'upload' | 'delete' | 'manage';
const ROLES: Role[] = ['anonymous', 'reader', 'uploader', 'maintainer', 'admin'];
const ACTIONS: Action[] = ['download', 'list', 'upload', 'delete', 'manage'];

/** Granted on `allowed/*` (admin: on `*`); `other/m` is outside every grant but the admin's. */
const ALLOWED: Record<Role, Action[]> = {
  anonymous: [],
  reader: ['download', 'list'],
  uploader: ['download', 'list', 'upload'],
  maintainer: ['download', 'list', 'upload', 'delete'],
  admin: ACTIONS,
};

describe('permission matrix over real HTTP (anonymousRead=false)', () => {
  let w: AccessWorld;
  const tokens: Partial<Record<Role, string>> = {};

  beforeAll(async () => {
    w = await startAccessWorld({ anonymousRead: false });
    for (const role of ['reader', 'uploader', 'maintainer'] as const) {
      const user = await w.user(`${role}-user`);
      await w.team(`${role}s`, [user], [{ role, pattern: 'allowed/*' }]);
      tokens[role] = user.token;
    }
    const root = await w.user('second-admin');
    await w.admin('POST', '/admin/v1/grants', { userId: root.id, role: 'admin', pattern: '*' });
    tokens.admin = root.token;
  });
  afterAll(() => w.close());

  /** Performs `action` on `repo` as `role`; returns the reply and whether the request reached upstream. */
  async function perform(
    role: Role,
    action: Action,
    repo: string,
  ): Promise<{ reply: Reply; reachedUpstream?: boolean }> {
    const token = tokens[role];
    const upstreamCalls = () => w.sim.stats.requests.filter((r) => r.path.includes(repo)).length;
    switch (action) {
      case 'download': {
        const before = upstreamCalls();
        const reply = await w.call('GET', `/${repo}/resolve/main/config.json`, { token });
        return { reply, reachedUpstream: upstreamCalls() > before || reply.status === 200 };
      }
      case 'list':
        return { reply: await w.call('GET', '/api/models?search=m', { token }) };
      case 'upload': {
        const before = w.sim.stats.count({ method: 'POST', pathIncludes: `${repo}/preupload` });
        const reply = await w.call('POST', `/api/models/${repo}/preupload/main`, {
          token,
          body: { files: [] },
        });
        return {
          reply,
          reachedUpstream: w.sim.stats.count({ method: 'POST', pathIncludes: `${repo}/preupload` }) > before,
        };
      }
      case 'delete':
        // Cache it first (as the admin), so an allowed delete has something to delete.
        await w.call('GET', `/${repo}/resolve/main/config.json`, { token: tokens.admin });
        return { reply: await w.call('DELETE', `/admin/v1/cache/repos/models/${repo}`, { token }) };
      case 'manage': {
        const reply = await w.call('POST', '/admin/v1/policies', {
          token,
          body: { effect: 'deny', pattern: 'nothing-here/*' },
        });
        if (reply.status === 201) await w.call('DELETE', `/admin/v1/policies/${reply.body.id}`, { token });
        return { reply };
      }
    }
  }

  const cases = ROLES.flatMap((role) =>
    ACTIONS.flatMap((action) =>
      (['allowed/m', 'other/m'] as const).map((repo) => {
        const repoScoped = action !== 'list' && action !== 'manage';
        const allowed =
          ALLOWED[role].includes(action) && (!repoScoped || repo === 'allowed/m' || role === 'admin');
        return { role, action, repo, allowed };
      }),
    ),
  );

  it.each(cases)('$role $action $repo -> allowed=$allowed', async ({ role, action, repo, allowed }) => {
    const { reply, reachedUpstream } = await perform(role, action, repo);
    if (allowed) {
      expect([401, 403]).not.toContain(reply.status);
      if (action === 'download') expect(reply.status).toBe(200);
      if (action === 'delete') expect(reply.body).toMatchObject({ type: 'model', id: repo });
      if (action === 'upload') expect(reachedUpstream).toBe(true);
    } else {
      expect(reply.status).toBe(role === 'anonymous' ? 401 : 403);
      expect(reply.headers.get('x-error-code')).toBe(role === 'anonymous' ? 'Unauthorized' : 'Forbidden');
      expect(reply.body).toEqual({ error: reply.headers.get('x-error-message')?.replace(/\?/g, '…') });
      if (reachedUpstream !== undefined) expect(reachedUpstream).toBe(false);
    }
  });

  it('applies type and exact-id grants: a dataset reader of allowed/d reads only that dataset', async () => {
    const user = await w.user('dataset-reader');
    await w.admin('POST', '/admin/v1/grants', {
      userId: user.id,
      role: 'reader',
      repoType: 'dataset',
      pattern: 'allowed/d',
    });
    expect(
      (await w.call('GET', '/datasets/allowed/d/resolve/main/data.csv', { token: user.token })).status,
    ).toBe(200);
    expect((await w.call('GET', '/allowed/m/resolve/main/config.json', { token: user.token })).status).toBe(
      403,
    );
    expect((await w.call('GET', '/api/models/allowed/m', { token: user.token })).status).toBe(403);
    // Repo ids are matched case-insensitively, like the Hub: case games do not widen or narrow a grant.
    expect(
      (await w.call('GET', '/datasets/Allowed/D/resolve/main/data.csv', { token: user.token })).status,
    ).not.toBe(403);
    expect((await w.call('GET', '/OTHER/m/resolve/main/config.json', { token: tokens.reader })).status).toBe(
      403,
    );
  });

  it('classifies Hub API routes: info, tree and paths-info are reads; repos/create is an upload', async () => {
    expect((await w.call('GET', '/api/models/allowed/m', { token: tokens.reader })).status).toBe(200);
    expect((await w.call('GET', '/api/models/allowed/m/tree/main', { token: tokens.reader })).status).toBe(
      200,
    );
    expect(
      (
        await w.call('POST', '/api/models/other/m/paths-info/main', {
          token: tokens.reader,
          body: { paths: ['config.json'] },
        })
      ).status,
    ).toBe(403);
    const create = (token: string | undefined, organization: string) =>
      w.call('POST', '/api/repos/create', {
        token,
        body: { name: 'new-model', organization, type: 'model' },
      });
    expect((await create(tokens.reader, 'allowed')).status).toBe(403);
    // The uploader passes the guard; `allowed` is no local namespace, so the hosted layer refuses it.
    const byUploader = await create(tokens.uploader, 'allowed');
    expect(byUploader.status).toBe(403);
    expect(byUploader.body.error).toMatch(/not in a local namespace/);
    const outsideGrant = await create(tokens.uploader, 'other');
    expect(outsideGrant.status).toBe(403);
    expect(outsideGrant.body.error).toMatch(/may not upload/);
    expect(
      (
        await w.call('DELETE', '/api/repos/delete', {
          token: tokens.uploader,
          body: { name: 'm', organization: 'allowed' },
        })
      ).status,
    ).not.toBe(200);
  });
});

describe('anonymous access switch (anonymousRead=true, the default)', () => {
  let w: AccessWorld;
  beforeAll(async () => (w = await startAccessWorld()));
  afterAll(() => w.close());

  it('lets anonymous callers read and list, and nothing else', async () => {
    expect((await w.call('GET', '/other/m/resolve/main/config.json')).status).toBe(200);
    expect((await w.call('GET', '/api/models?search=m')).status).toBe(200);
    expect((await w.call('POST', '/api/models/other/m/preupload/main', { body: {} })).status).toBe(401);
    expect((await w.call('DELETE', '/admin/v1/cache/repos/models/other/m')).status).toBe(401);
    expect((await w.call('GET', '/admin/v1/users')).status).toBe(401);
  });

  it('keeps /health and /metrics open, even with a bad token', async () => {
    expect((await w.call('GET', '/health', { token: 'dgo_forged' })).status).toBe(200);
    expect((await w.call('GET', '/metrics')).status).toBe(200);
  });
});
