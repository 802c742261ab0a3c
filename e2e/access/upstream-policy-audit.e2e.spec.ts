import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { GatewayModule } from '@dingo/gateway';
import { startEmbeddedGateway } from '@dingo/testing';
import { AccessWorld, HF_SERVICE_TOKEN, HF_USER_TOKEN, JWT_SECRET, startAccessWorld } from './fixtures';

/** The distinct credentials upstream saw on requests for `pathIncludes` while `run` ran. */
async function upstreamAuthsDuring(
  w: AccessWorld,
  pathIncludes: string,
  run: () => Promise<unknown>,
): Promise<(string | null)[]> {
  w.sim.stats.reset();
  await run();
  return [
    ...new Set(w.sim.stats.requests.filter((r) => r.path.includes(pathIncludes)).map((r) => r.auth ?? null)),
  ];
}

describe('passthrough mode (default): mirror tokens stay home, HF tokens pass through', () => {
  let w: AccessWorld;
  let reader: { id: string; token: string };
  beforeAll(async () => {
    w = await startAccessWorld();
    reader = await w.user('reader');
    await w.team('readers', [reader], [{ role: 'reader', pattern: '*' }]);
  });
  afterAll(() => w.close());

  it("forwards a caller's own HF token upstream, and never a mirror token", async () => {
    const gated =
      (token?: string, status = 401) =>
      async () =>
        expect((await w.call('GET', '/allowed/gated/resolve/main/config.json', { token })).status).toBe(
          status,
        );
    expect(await upstreamAuthsDuring(w, 'allowed/gated', gated())).toEqual([null]);
    expect(await upstreamAuthsDuring(w, 'allowed/gated', gated(reader.token))).toEqual([null]);
    expect(await upstreamAuthsDuring(w, 'allowed/gated', gated(HF_SERVICE_TOKEN, 200))).toEqual([
      HF_SERVICE_TOKEN,
    ]);
    const viaApi = () => w.call('GET', '/api/models/allowed/m', { token: HF_USER_TOKEN });
    expect(await upstreamAuthsDuring(w, 'allowed/m', viaApi)).toEqual([HF_USER_TOKEN]);
  });

  it('answers /api/whoami-v2 itself for mirror tokens and asks upstream for HF tokens', async () => {
    const mine = await w.call('GET', '/api/whoami-v2', { token: reader.token });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({
      type: 'user',
      name: 'reader',
      auth: { accessToken: { role: 'read' } },
    });
    const theirs = await w.call('GET', '/api/whoami-v2', { token: HF_USER_TOKEN });
    expect(theirs.body).toMatchObject({ name: 'someone' });
  });

  it('denies upstream repos by policy before any fetch, for everyone, with a Hub-style 403', async () => {
    const policy = await w.admin('POST', '/admin/v1/policies', {
      effect: 'deny',
      pattern: 'other/*',
      reason: 'not license-reviewed',
    });
    w.sim.stats.reset();
    for (const token of [undefined, reader.token, w.adminSession]) {
      const reply = await w.call('GET', '/other/m/resolve/main/config.json', { token });
      expect(reply.status).toBe(403);
      expect(reply.headers.get('x-error-code')).toBe('Forbidden');
      expect(reply.headers.get('x-error-message')).toBe(
        'Blocked by mirror policy: models/other/m is denied (not license-reviewed)',
      );
      expect(reply.body).toEqual({
        error: 'Blocked by mirror policy: models/other/m is denied (not license-reviewed)',
      });
    }
    expect((await w.call('GET', '/api/models/OTHER/m', { token: reader.token })).status).toBe(403);
    expect(w.sim.stats.requests).toEqual([]);
    await w.admin('DELETE', `/admin/v1/policies/${policy.id}`);
    expect((await w.call('GET', '/other/m/resolve/main/config.json', { token: reader.token })).status).toBe(
      200,
    );
  });

  it('records who downloaded, uploaded, managed and was refused what, queryable by time, user, repo and action', async () => {
    const start = Date.now();
    const file = await w.call('GET', '/allowed/m2/resolve/main/model.safetensors', { token: reader.token });
    expect(file.status).toBe(200);
    await w.call('POST', '/api/models/allowed/m2/preupload/main', { token: reader.token, body: {} });
    await w.admin('POST', '/admin/v1/users', { username: 'audited', password: 'a-long-enough-password' });
    const [token] = await w.admin('GET', `/admin/v1/tokens?userId=${reader.id}`);

    const downloads = await w.admin(
      'GET',
      `/admin/v1/audit?userId=${reader.id}&action=download&from=${start}`,
    );
    expect(downloads.items).toEqual([
      expect.objectContaining({
        action: 'download',
        status: 200,
        username: 'reader',
        tokenId: token.id,
        repoType: 'model',
        repoId: 'allowed/m2',
        revision: 'main',
        path: 'model.safetensors',
        bytes: 200_000,
        clientIp: expect.stringMatching(/127\.0\.0\.1/),
      }),
    ]);
    const refused = await w.admin('GET', `/admin/v1/audit?userId=${reader.id}&action=denied&from=${start}`);
    expect(refused.items[0]).toMatchObject({
      status: 403,
      detail: { wanted: 'upload', on: 'models/allowed/m2' },
    });
    const managed = await w.admin('GET', `/admin/v1/audit?action=manage&from=${start}`);
    expect(managed.items[0]).toMatchObject({
      username: 'admin',
      status: 201,
      detail: { method: 'POST', body: { username: 'audited', password: '[redacted]' } },
    });
    expect(JSON.stringify(managed)).not.toContain('a-long-enough-password');
    const byRepo = await w.admin(
      'GET',
      `/admin/v1/audit?repo=${encodeURIComponent('allowed/*')}&from=${start}`,
    );
    expect(byRepo.items.map((e: { action: string }) => e.action).sort()).toEqual(['denied', 'download']);
    expect((await w.admin('GET', `/admin/v1/audit?from=${Date.now() + 60_000}`)).items).toEqual([]);

    await w.call('GET', '/allowed/m2/resolve/main/config.json', { token: 'dgo_' + 'Z'.repeat(40) });
    const forged = await w.admin('GET', `/admin/v1/audit?action=denied&from=${start}`);
    expect(forged.items[0]).toMatchObject({
      status: 401,
      userId: null,
      detail: { wanted: 'authenticate', reason: 'Invalid credentials: unknown token' },
    });

    const page1 = await w.admin('GET', `/admin/v1/audit?limit=2&from=${start}`);
    const page2 = await w.admin('GET', `/admin/v1/audit?limit=2&from=${start}&cursor=${page1.nextCursor}`);
    expect(page1.items).toHaveLength(2);
    expect(Number(page2.items[0].id)).toBeLessThan(Number(page1.items[1].id));
    expect((await w.call('GET', '/admin/v1/audit?limit=5000', { token: w.adminSession })).status).toBe(400);
  });

  it('lists and deletes cached repos (and their unshared blobs)', async () => {
    await w.call('GET', '/allowed/m/resolve/main/model.safetensors', { token: reader.token });
    const list = await w.admin('GET', '/admin/v1/cache/repos?search=allowed/m');
    expect(list.items.map((r: { id: string }) => r.id)).toContain('allowed/m');
    const files = await w.admin('GET', '/admin/v1/cache/repos/models/allowed/m');
    expect(files.find((f: { path: string }) => f.path === 'model.safetensors')).toMatchObject({
      size: 200_000,
      lfs: true,
    });
    const removed = await w.admin('DELETE', '/admin/v1/cache/repos/models/allowed/m');
    expect(removed).toMatchObject({ type: 'model', id: 'allowed/m' });
    expect(
      (await w.call('GET', '/admin/v1/cache/repos/models/allowed/m', { token: w.adminSession })).status,
    ).toBe(404);
    expect(
      (await w.call('GET', '/allowed/m/resolve/main/model.safetensors', { token: reader.token })).status,
    ).toBe(200);
  });

  it('serves OpenAPI docs for the admin API at /admin/v1/docs', async () => {
    expect((await w.call('GET', '/admin/v1/docs')).status).toBe(200);
    const doc = await w.call('GET', '/admin/v1/docs/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/admin/v1/users', '/admin/v1/tokens', '/admin/v1/audit']),
    );
    expect(
      doc.body.paths['/admin/v1/grants'].post.requestBody.content['application/json'].schema.required,
    ).toEqual(['role', 'pattern']);
  });
});

describe('service mode with an approved-only policy (the locked-down profile)', () => {
  let w: AccessWorld;
  let reader: { id: string; token: string };
  beforeAll(async () => {
    w = await startAccessWorld({
      upstreamTokenMode: 'service',
      upstreamServiceToken: HF_SERVICE_TOKEN,
      policyDefault: 'deny',
    });
    reader = await w.user('reader');
    await w.team('readers', [reader], [{ role: 'reader', pattern: '*' }]);
    await w.admin('POST', '/admin/v1/policies', { effect: 'allow', pattern: 'allowed/*' });
  });
  afterAll(() => w.close());

  it('refuses bearers that are not mirror credentials', async () => {
    const reply = await w.call('GET', '/allowed/m/resolve/main/config.json', { token: HF_USER_TOKEN });
    expect(reply.status).toBe(401);
    expect(reply.headers.get('x-error-message')).toMatch(/only its own tokens/);
  });

  it('presents the service token upstream for mirror users only', async () => {
    const read = (path: string, token: string | undefined, status: number) => async () =>
      expect((await w.call('GET', path, { token })).status).toBe(status);
    expect(
      await upstreamAuthsDuring(
        w,
        'allowed/gated',
        read('/allowed/gated/resolve/main/config.json', reader.token, 200),
      ),
    ).toEqual([HF_SERVICE_TOKEN]);
    expect(
      await upstreamAuthsDuring(
        w,
        'allowed/gated',
        read('/allowed/gated/resolve/main/model.safetensors', undefined, 401),
      ),
    ).toEqual([null]);
    expect(
      await upstreamAuthsDuring(w, '/api/models', read('/api/models?search=x', reader.token, 200)),
    ).toEqual([null]);
  });

  it('lets in only approved repos', async () => {
    expect((await w.call('GET', '/allowed/m/resolve/main/config.json')).status).toBe(200);
    const denied = await w.call('GET', '/other/m/resolve/main/config.json', { token: reader.token });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('x-error-message')).toBe(
      "Blocked by mirror policy: models/other/m is not on this mirror's list of approved repos",
    );
  });
});

describe('bootstrap admin', () => {
  it('generates a password into a 0600 file under dataDir and never logs it', async () => {
    const logged: string[] = [];
    for (const level of ['log', 'warn', 'error', 'debug', 'verbose'] as const) {
      jest
        .spyOn(Logger.prototype, level)
        .mockImplementation((...args: unknown[]) => void logged.push(JSON.stringify(args)));
    }
    const gw = await startEmbeddedGateway((config) => GatewayModule.forConfig(config), {
      auth: { jwtSecret: JWT_SECRET, adminUser: 'root' },
    });
    try {
      const file = join(gw.dataDir, 'admin-password');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const password = readFileSync(file, 'utf8').trim();
      expect(password.length).toBeGreaterThanOrEqual(20);
      expect(logged.join('\n')).not.toContain(password);
      const login = await fetch(`${gw.url}/admin/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'root', password }),
      });
      expect(login.status).toBe(200);
    } finally {
      jest.restoreAllMocks();
      await gw.close();
    }
  });
});
