import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { RunningGateway, tempDir } from '@dingo/testing';
import { groupTally } from './tally';
import {
  call,
  filesUnder,
  HF_APPROVED,
  HF_OTHER,
  JWT_SECRET,
  MiB,
  pullsSettled,
  REPO_ROOT,
  sha256,
  spawnApp,
  startInternalService,
  startWorld,
  World,
} from './world';

const tally = groupTally('issue #18 points');

/** Issue #18, Security: points 1-5, each over real HTTP against a real gateway. */
describe('issue #18 security', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(() => w.close());

  const treeUrl = (rev: string) => `/api/models/org/model/tree/${rev}?recursive=true`;
  const portOf = (g: RunningGateway) => new URL(g.url).port;

  describe('#18.1 Host-header cache poisoning', () => {
    /** Every stored API answer: nothing taken from a request header may be in one. */
    const apiCacheDump = async (g: RunningGateway) =>
      JSON.stringify(await g.adapters.dataSource!.query('SELECT * FROM api_cache'));

    tally.it(
      '#18.1 a foreign Host is never reflected into Link, and the cached answer (branch and commit-pinned) holds no trace of it',
      async () => {
        for (const rev of ['main', w.commit()]) {
          const evil = await w.call(treeUrl(rev), { headers: { host: 'evil.example' } });
          expect(evil.status).toBe(200);
          expect(evil.headers.link).toBeDefined();
          expect(evil.headers.link).not.toContain('evil.example');
          // Not reflected: the link names the address the client really connected to.
          expect(evil.headers.link).toMatch(
            new RegExp(`^<http://127\\.0\\.0\\.1:${portOf(w.gateway)}/api/models/org/model/tree/`),
          );
          const honest = await w.call(treeUrl(rev));
          expect(honest.headers['x-dingo-cache']).toBe('HIT');
          expect(honest.headers.link).not.toContain('evil.example');
          expect(honest.headers.link).toContain(`<${w.url}/api/models/org/model/tree/`);
          // The link works: it pages on through the mirror.
          const next = /^<([^>]+)>/.exec(String(honest.headers.link))![1];
          const page2 = await call(w.url, next.slice(w.url.length));
          expect(page2.status).toBe(200);
          expect(page2.json().length).toBeGreaterThan(0);
        }
        expect(await apiCacheDump(w.gateway)).not.toContain('evil.example');
        expect(await apiCacheDump(w.gateway)).not.toContain(`127.0.0.1:${portOf(w.gateway)}`);
      },
    );

    tally.it(
      '#18.1 links are rewritten per response: a Host naming this machine is used for its own answer only',
      async () => {
        const port = portOf(w.gateway);
        const viaLocalhost = await w.call(treeUrl('main'), { headers: { host: `localhost:${port}` } });
        expect(viaLocalhost.headers.link).toContain(`<http://localhost:${port}/`);
        const viaIp = await w.call(treeUrl('main'));
        expect(viaIp.headers['x-dingo-cache']).toBe('HIT');
        expect(viaIp.headers.link).toContain(`<http://127.0.0.1:${port}/`);
        // This machine's address on another port is not where the mirror listens: not reflected.
        const otherPort = await w.call(treeUrl('main'), { headers: { host: '127.0.0.1:1' } });
        expect(otherPort.headers.link).toContain(`<http://127.0.0.1:${port}/`);
        // X-Forwarded-* from an untrusted client change nothing either.
        const forwarded = await w.call(treeUrl('main'), {
          headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
        });
        expect(forwarded.headers.link).toContain(`<http://127.0.0.1:${port}/`);
      },
    );

    tally.it(
      '#18.1 DINGO_PUBLIC_URL wins over any Host; DINGO_ALLOWED_HOSTS names hosts that may be reflected',
      async () => {
        const pub = await w.startGateway({ publicUrl: 'https://mirror.example.org/' });
        const viaPub = await call(pub.url, treeUrl('main'), { headers: { host: 'evil.example' } });
        expect(viaPub.headers.link).toMatch(
          /^<https:\/\/mirror\.example\.org\/api\/models\/org\/model\/tree\/main\?/,
        );
        const allowed = await w.startGateway({ allowedHosts: ['mirror.internal'] });
        const viaAllowed = await call(allowed.url, treeUrl('main'), { headers: { host: 'mirror.internal' } });
        expect(viaAllowed.headers.link).toMatch(
          /^<http:\/\/mirror\.internal\/api\/models\/org\/model\/tree\/main\?/,
        );
        const notAllowed = await call(allowed.url, treeUrl('main'), { headers: { host: 'evil.example' } });
        expect(notAllowed.headers.link).not.toContain('evil.example');
        expect(await apiCacheDump(allowed)).not.toContain('mirror.internal');
      },
    );

    tally.it(
      '#18.1 the same holds for Location: upstream redirects point at the mirror, never at a reflected Host',
      async () => {
        const path = '/api/models/org/model/tree/main/nested';
        w.sim.injectFault(new RegExp(`^${path}$`), {
          kind: 'redirect',
          status: 307,
          location: `${w.sim.url}/api/models/org/model/tree/main/nested/deeper`,
        });
        const res = await w.call(path, { headers: { host: 'evil.example' } });
        expect(res.status).toBe(307);
        expect(res.headers.location).toBe(`${w.url}/api/models/org/model/tree/main/nested/deeper`);
        // A redirect off the upstream's origin is not passed on at all.
        w.sim.injectFault(new RegExp(`^${path}$`), {
          kind: 'redirect',
          status: 307,
          location: 'http://evil.example/steal',
        });
        const foreign = await w.call(path, { headers: { host: 'evil.example' } });
        expect(foreign.headers.location ?? '').not.toContain('evil.example');
        expect(await apiCacheDump(w.gateway)).not.toContain('evil.example');
      },
    );
  });

  describe('#18.2 SSRF through upstream redirects', () => {
    let internal: Awaited<ReturnType<typeof startInternalService>>;
    beforeAll(async () => {
      internal = await startInternalService();
    });
    afterAll(() => internal.close());
    beforeEach(() => {
      internal.requests.length = 0;
      w.sim.clearFaults();
    });

    /** A file the mirror has located (so the next GET goes straight to the byte fetch), and its bytes' URL pattern. */
    const locatedFile = async () => {
      const repo = await w.freshRepo([{ path: 'weights.safetensors', size: MiB + 777 }], 'ssrf');
      const head = await w.call(`/${repo.id}/resolve/main/weights.safetensors`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      return {
        repo,
        file: repo.f('weights.safetensors'),
        hubBytes: new RegExp(`^/${repo.id}/resolve/[0-9a-f]{40}/weights\\.safetensors`),
        get: () => w.call(`/${repo.id}/resolve/main/weights.safetensors`),
      };
    };

    const expectRefused = (res: Awaited<ReturnType<typeof w.call>>) => {
      expect(res.status).toBe(502);
      expect(res.headers['x-error-code']).toBe('BadGateway');
      expect(res.text()).not.toContain(internal.secret);
      expect(internal.requests).toEqual([]);
    };

    /** No byte of the internal service's answer anywhere in what the mirror stores. */
    const expectNothingStored = (g: RunningGateway) => {
      for (const f of filesUnder(g.dataDir))
        expect({ f, leaked: readFileSync(f).includes(internal.secret.slice(0, 16)) }).toEqual({
          f,
          leaked: false,
        });
    };

    tally.it(
      '#18.2 a resolve redirected to an internal service is refused with 502 before any request reaches it; nothing is cached',
      async () => {
        const t = await locatedFile();
        w.sim.injectFault(t.hubBytes, {
          kind: 'redirect',
          location: `http://127.0.0.1:${internal.port}/secret`,
        });
        expectRefused(await t.get());
        await pullsSettled(w.gateway);
        expectNothingStored(w.gateway);
      },
    );

    tally.it(
      '#18.2 a compromised CDN redirecting to loopback (by name, IPv6, 0.0.0.0, 127/8) is refused after DNS resolution',
      async () => {
        for (const host of [
          'localhost',
          '[::1]',
          '0.0.0.0',
          '127.0.0.2',
          '[::ffff:127.0.0.1]',
          '2130706433',
        ]) {
          const t = await locatedFile();
          w.sim.injectFault(/^\/repos\//, {
            kind: 'redirect',
            location: `http://${host}:${internal.port}/latest/meta-data`,
          });
          expectRefused(await t.get());
          await pullsSettled(w.gateway);
        }
        expectNothingStored(w.gateway);
      },
    );

    tally.it(
      '#18.2 after a refused redirect the file is served again: the refused target is not remembered as its CDN URL',
      async () => {
        const t = await locatedFile();
        w.sim.injectFault(/^\/repos\//, {
          kind: 'redirect',
          location: `http://localhost:${internal.port}/x`,
        });
        expectRefused(await t.get());
        await pullsSettled(w.gateway);
        // Upstream is honest again: the next client must get the file, not the same refusal for minutes.
        const honest = await t.get();
        expect(honest.status).toBe(200);
        expect(sha256(honest.body)).toBe(t.file.sha256);
        expect(internal.requests).toEqual([]);
      },
    );

    tally.it(
      '#18.2 a redirect loop and a chain of more than 5 hops are a clean 502, not an empty reply',
      async () => {
        const t = await locatedFile();
        w.sim.injectFault(t.hubBytes, { kind: 'redirect', location: `${w.sim.cdnUrl}/loop` });
        w.sim.injectFault(/^\/loop$/, { kind: 'redirect', location: `${w.sim.cdnUrl}/loop` }, 10);
        const loop = await t.get();
        expect(loop.error).toBeUndefined();
        expect(loop.status).toBe(502);
        expect(loop.headers['x-error-code']).toBe('BadGateway');
        expect(loop.headers['x-error-message']).toMatch(/loop/);
        w.sim.clearFaults();
        await pullsSettled(w.gateway);
        w.sim.injectFault(t.hubBytes, { kind: 'redirect', location: `${w.sim.cdnUrl}/hop/0` });
        for (let i = 0; i < 10; i++)
          w.sim.injectFault(new RegExp(`^/hop/${i}$`), {
            kind: 'redirect',
            location: `${w.sim.cdnUrl}/hop/${i + 1}`,
          });
        const hops = await t.get();
        expect(hops.status).toBe(502);
        expect(hops.headers['x-error-message']).toMatch(/more than 5 redirects/);
        expect(w.sim.stats.count({ pathIncludes: '/hop/6' })).toBe(0);
        w.sim.clearFaults();
        await pullsSettled(w.gateway);
        expect(sha256((await t.get()).body)).toBe(t.file.sha256);
      },
    );

    tally.it('#18.2 only http(s) redirects are followed', async () => {
      const t = await locatedFile();
      for (const location of ['file:///etc/passwd', 'ftp://127.0.0.1/x', 'gopher://127.0.0.1:70/x']) {
        w.sim.injectFault(t.hubBytes, { kind: 'redirect', location });
        const res = await t.get();
        expect(res.status).toBe(502);
        expect(res.headers['x-error-code']).toBe('BadGateway');
        expect(res.text()).not.toContain('root:');
        await pullsSettled(w.gateway);
      }
    });

    tally.it(
      '#18.2 a loopback CDN is refused unless allowed; DINGO_UPSTREAM_ALLOW_PRIVATE opens exactly the origins it lists',
      async () => {
        const strict = await w.startGateway({ upstreamAllowPrivate: false });
        const repo = await w.freshRepo([{ path: 'w.safetensors', size: 300_000 }], 'strict');
        w.sim.stats.reset();
        const refused = await call(strict.url, `/${repo.id}/resolve/main/w.safetensors`);
        expect(refused.status).toBe(502);
        expect(refused.headers['x-error-code']).toBe('BadGateway');
        expect(refused.headers['x-error-message']).toMatch(/internal address/);
        // The connection was checked before a request was written: the CDN never saw one.
        expect(w.sim.stats.count({ origin: 'cdn' })).toBe(0);

        const internalOrigin = `http://127.0.0.1:${internal.port}`;
        const open = await w.startGateway({ upstreamAllowPrivate: [w.sim.cdnUrl, internalOrigin] });
        const t = await locatedFile();
        w.sim.injectFault(t.hubBytes, { kind: 'redirect', location: `${internalOrigin}/allowed` });
        const followed = await call(open.url, `/${t.repo.id}/resolve/main/weights.safetensors`);
        expect(internal.requests).toEqual(['GET /allowed']);
        // Followed, yet its bytes do not hash to the file's name: never delivered complete.
        expect(followed.status === 200 && followed.body.length === t.file.size && !followed.error).toBe(
          false,
        );
      },
    );

    tally.it(
      '#18.2 an API answer redirecting to an internal address is passed on without the Location, and nothing is fetched',
      async () => {
        w.sim.injectFault(/^\/api\/models\/org\/model\/revision\/v1\.0$/, {
          kind: 'redirect',
          location: `http://127.0.0.1:${internal.port}/admin`,
        });
        const res = await w.call('/api/models/org/model/revision/v1.0');
        expect(res.headers.location).toBeUndefined();
        expect(res.text()).not.toContain(internal.secret);
        expect(internal.requests).toEqual([]);
      },
    );
  });

  describe('#18.3 guessable secrets', () => {
    const adminId = async () =>
      (await w.gateway.adapters.dataSource!.query("SELECT id FROM auth_users WHERE username = 'admin'"))[0]
        .id;
    const sign = (claims: object, secret = JWT_SECRET, opts: jwt.SignOptions = {}) =>
      jwt.sign({ name: 'admin', iss: 'dingospeed', aud: 'dingospeed-admin', ...claims }, secret, {
        algorithm: 'HS256',
        ...opts,
      });

    tally.it(
      '#18.3 the gateway refuses to start with the example JWT secret or admin password (one message, no stack, nothing created)',
      async () => {
        const dir = tempDir('placeholder');
        try {
          const example = readFileSync(join(REPO_ROOT, 'deploy/compose.env.example'), 'utf8');
          const fromExample = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(example)![1];
          const app = spawnApp('gateway', {
            DINGO_PORT: '0',
            DINGO_DATA_DIR: dir.path,
            DINGO_JWT_SECRET: 'change-me-to-a-long-shared-secret-0123456789', // the placeholder
            DINGO_ADMIN_PASSWORD: fromExample('DINGO_ADMIN_PASSWORD'),
            DINGO_XET_TOKEN_SECRET: fromExample('DINGO_JWT_SECRET'),
          });
          expect(await app.exit()).not.toBe(0);
          const out = app.output();
          expect(out).toMatch(/auth\.jwtSecret is a placeholder from the examples/);
          expect(out).toMatch(/auth\.adminPassword is a placeholder from the examples/);
          expect(out).toMatch(/xet\.tokenSecret is a placeholder from the examples/);
          expect(out).not.toMatch(/^\s+at /m);
          expect(readdirSync(dir.path)).toEqual([]);
        } finally {
          dir.cleanup();
        }
      },
      40_000,
    );

    tally.it('#18.3 a JWT signed with the placeholder secret is not an admin session', async () => {
      const forged = sign({ sub: await adminId() }, 'change-me-to-a-long-shared-secret-0123456789', {
        expiresIn: 60,
      });
      const res = await w.call('/admin/v1/users', { headers: { authorization: `Bearer ${forged}` } });
      expect(res.status).toBe(401);
    });

    tally.it('#18.3 a secret shorter than 32 bytes is refused at start', async () => {
      await expect(w.startGateway({ auth: { jwtSecret: 'x'.repeat(31) } })).rejects.toThrow(
        /auth\.jwtSecret must be at least 32 characters/,
      );
    });

    tally.it('#18.3 session JWTs must carry exp and iat', async () => {
      const sub = await adminId();
      const now = Math.floor(Date.now() / 1000);
      const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
      const good = sign({ sub }, JWT_SECRET, { expiresIn: 60 });
      expect((await w.call('/admin/v1/users', { headers: bearer(good) })).status).toBe(200);
      const noExp = sign({ sub, iat: now });
      expect(jwt.decode(noExp)).not.toHaveProperty('exp');
      expect((await w.call('/admin/v1/users', { headers: bearer(noExp) })).status).toBe(401);
      const noIat = sign({ sub, exp: now + 60 }, JWT_SECRET, { noTimestamp: true });
      expect(jwt.decode(noIat)).not.toHaveProperty('iat');
      expect((await w.call('/admin/v1/users', { headers: bearer(noIat) })).status).toBe(401);
    });
  });

  describe('#18.4 listings follow the download rule', () => {
    beforeAll(async () => {
      // Someone approved for the gated and private repos brings them into the cache.
      const auth = { authorization: `Bearer ${HF_APPROVED}` };
      for (const path of [
        '/org/gated/resolve/main/config.json',
        '/org/gated/resolve/main/weights.safetensors',
      ])
        expect((await w.call(path, { headers: auth })).status).toBe(200);
      expect((await w.call('/org/private/resolve/main/config.json', { headers: auth })).status).toBe(200);
      expect((await w.call('/org/model/resolve/main/config.json')).status).toBe(200);
    });

    const listing = async (headers: Record<string, string> = {}) => {
      const res = await w.call('/admin/v1/cache/repos?limit=500', { headers });
      expect(res.status).toBe(200);
      return res.json().items.map((i: { id: string }) => i.id) as string[];
    };

    tally.it(
      '#18.4 anonymous callers (and tokens upstream refuses) do not see gated or private repos in the cache listing',
      async () => {
        expect((await w.call('/org/gated/resolve/main/config.json')).status).toBe(401);
        for (const headers of [{}, { authorization: `Bearer ${HF_OTHER}` }] as Record<string, string>[]) {
          const ids = await listing(headers);
          expect(ids).toContain('org/model');
          expect(ids).not.toContain('org/gated');
          expect(ids).not.toContain('org/private');
          const searched = await w.call('/admin/v1/cache/repos?search=gated', { headers });
          expect(searched.json().items).toEqual([]);
        }
        expect(await listing({ authorization: `Bearer ${HF_APPROVED}` })).toEqual(
          expect.arrayContaining(['org/gated', 'org/private', 'org/model']),
        );
      },
    );

    tally.it(
      '#18.4 the per-repo listing shows no name, path, size or blob id of a repo the caller could not download',
      async () => {
        const gatedFile = w.file('weights.safetensors', 'org/gated');
        for (const repo of ['org/gated', 'org/private']) {
          for (const headers of [{}, { authorization: `Bearer ${HF_OTHER}` }] as Record<string, string>[]) {
            const res = await w.call(`/admin/v1/cache/repos/models/${repo}`, { headers });
            expect([401, 403, 404]).toContain(res.status);
            expect(res.text()).not.toContain('weights.safetensors');
            expect(res.text()).not.toContain(gatedFile.sha256);
            expect(res.text()).not.toContain(gatedFile.blobId);
          }
        }
        const allowed = await w.call('/admin/v1/cache/repos/models/org/gated', {
          headers: { authorization: `Bearer ${HF_APPROVED}` },
        });
        expect(allowed.status).toBe(200);
        expect(allowed.json().map((f: { path: string }) => f.path)).toContain('weights.safetensors');
      },
    );
  });

  describe('#18.5 data files are private to the mirror', () => {
    tally.it(
      '#18.5 a fresh data dir is 0700 and everything the gateway writes into it is owner-only (metadata.sqlite 0600)',
      async () => {
        const dir = tempDir('modes');
        try {
          const dataDir = join(dir.path, 'data');
          const g = await w.startGateway({
            dataDir,
            auth: { adminPassword: undefined, jwtSecret: undefined },
          });
          expect((await call(g.url, '/org/model/resolve/main/model.safetensors')).status).toBe(200);
          expect((await call(g.url, '/api/models/org/model')).status).toBe(200);
          const mode = (p: string) => statSync(p).mode & 0o777;
          expect(mode(dataDir)).toBe(0o700);
          expect(mode(join(dataDir, 'metadata.sqlite'))).toBe(0o600);
          for (const name of ['admin-password', 'jwt-secret']) expect(mode(join(dataDir, name))).toBe(0o600);
          const loose: string[] = [];
          const walk = (p: string) => {
            const st = statSync(p);
            if (st.mode & 0o077)
              loose.push(`${p.slice(dataDir.length) || '/'} ${(st.mode & 0o777).toString(8)}`);
            if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
          };
          walk(dataDir);
          expect(loose).toEqual([]);
        } finally {
          dir.cleanup();
        }
      },
    );

    tally.it(
      '#18.5 a metadata.sqlite left world-readable by an older version is made 0600 at start',
      async () => {
        const dir = tempDir('modes-old');
        try {
          const first = await w.startGateway({ dataDir: dir.path });
          await first.close();
          chmodSync(join(dir.path, 'metadata.sqlite'), 0o644);
          const again = await w.startGateway({ dataDir: dir.path });
          expect((await call(again.url, '/api/models/org/model')).status).toBe(200);
          expect(statSync(join(dir.path, 'metadata.sqlite')).mode & 0o777).toBe(0o600);
          for (const f of ['metadata.sqlite-wal', 'metadata.sqlite-shm'])
            if (existsSync(join(dir.path, f))) expect(statSync(join(dir.path, f)).mode & 0o077).toBe(0);
        } finally {
          dir.cleanup();
        }
      },
    );
  });
});
