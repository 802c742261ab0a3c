import { AccessWorld, startAccessWorld } from '../access/fixtures';

type Role = 'anonymous' | 'reader' | 'uploader' | 'maintainer' | 'admin';
type Action = 'create' | 'commit' | 'lfs-batch' | 'create-branch' | 'delete-branch' | 'settings' | 'delete';

/** What each role may do to hosted repos in `acme` (grants on `acme/*`; admin on everything). */
const ALLOWED: Record<Role, Action[]> = {
  anonymous: [],
  reader: [],
  uploader: ['create', 'commit', 'lfs-batch', 'create-branch'],
  maintainer: ['create', 'commit', 'lfs-batch', 'create-branch', 'delete-branch', 'settings', 'delete'],
  admin: ['create', 'commit', 'lfs-batch', 'create-branch', 'delete-branch', 'settings', 'delete'],
};

/** The permission matrix over real HTTP, for hosted repos; refusals in the Hub's error format. */
describe('hosted repos: permission matrix', () => {
  let w: AccessWorld;
  const tokens: Partial<Record<Role, string>> = {};
  let seq = 0;

  beforeAll(async () => {
    w = await startAccessWorld({}, { localNamespaces: ['acme', 'labs'] });
    for (const role of ['reader', 'uploader', 'maintainer'] as const) {
      const user = await w.user(`${role}-h`);
      await w.team(`${role}s-h`, [user], [{ role, pattern: 'acme/*' }]);
      tokens[role] = user.token;
    }
    tokens.admin = w.adminSession;
  }, 60_000);
  afterAll(() => w?.close());

  /** A fresh repo per case (made by the admin), so a delete in one case does not affect another. */
  async function fresh(): Promise<string> {
    const name = `r${seq++}`;
    const made = await w.call('POST', '/api/repos/create', {
      token: w.adminSession,
      body: { name, organization: 'acme' },
    });
    expect(made.status).toBe(200);
    await w.call('POST', `/api/models/acme/${name}/branch/dev`, { token: w.adminSession, body: {} });
    return `acme/${name}`;
  }

  async function perform(role: Role, action: Action): Promise<Response> {
    const token = tokens[role];
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const json = (method: string, path: string, body: unknown) =>
      fetch(w.url + path, {
        method,
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    if (action === 'create')
      return json('POST', '/api/repos/create', { name: `new${seq++}`, organization: 'acme' });
    const repo = await fresh();
    switch (action) {
      case 'commit':
        return fetch(`${w.url}/api/models/${repo}/commit/main`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/x-ndjson' },
          body: JSON.stringify({ key: 'header', value: { summary: 'x' } }),
        });
      case 'lfs-batch':
        return fetch(`${w.url}/${repo}.git/info/lfs/objects/batch`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/vnd.git-lfs+json' },
          body: JSON.stringify({ operation: 'upload', objects: [{ oid: 'a'.repeat(64), size: 1 }] }),
        });
      case 'create-branch':
        return json('POST', `/api/models/${repo}/branch/feature`, {});
      case 'delete-branch':
        return fetch(`${w.url}/api/models/${repo}/branch/dev`, { method: 'DELETE', headers });
      case 'settings':
        return json('PUT', `/api/models/${repo}/settings`, { private: true });
      case 'delete':
        return json('DELETE', '/api/repos/delete', { name: repo.split('/')[1], organization: 'acme' });
    }
  }

  const cases = (Object.keys(ALLOWED) as Role[]).flatMap((role) =>
    (
      ['create', 'commit', 'lfs-batch', 'create-branch', 'delete-branch', 'settings', 'delete'] as Action[]
    ).map((action) => ({ role, action, allowed: ALLOWED[role].includes(action) })),
  );

  it.each(cases)('$role $action -> allowed=$allowed', async ({ role, action, allowed }) => {
    const res = await perform(role, action);
    if (allowed) {
      expect(res.status).toBe(200);
      return;
    }
    expect(res.status).toBe(role === 'anonymous' ? 401 : 403);
    expect(res.headers.get('x-error-code')).toBe(role === 'anonymous' ? 'Unauthorized' : 'Forbidden');
    expect(await res.json()).toEqual({ error: expect.any(String) });
  });

  it('an uploader pushes only within its grants, even in a local namespace', async () => {
    const made = await w.call('POST', '/api/repos/create', {
      token: tokens.uploader,
      body: { name: 'x', organization: 'labs' },
    });
    expect(made.status).toBe(403);
    expect(made.body.error).toMatch(/may not upload/);
  });
});
