import { createHmac, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { groupTally } from './tally';
import { ADMIN_PASSWORD, HF_APPROVED, JWT_SECRET, startInternalService, startWorld, World } from './world';

const tally = groupTally('auth');

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** Credentials that are not what they claim: always a 401, never anonymous, never sent upstream. */
describe('hostile credentials', () => {
  let w: World;
  let internal: Awaited<ReturnType<typeof startInternalService>>;
  let session: string;
  let adminId: string;
  let reader: { id: string; token: string };

  const json = (method: string, path: string, body?: unknown, token = session) =>
    w.call(path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await json(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text()}`);
    return res.text() ? res.json() : undefined;
  };
  const newReader = async (name: string) => {
    const user = await admin('POST', '/admin/v1/users', { username: name });
    const team = await admin('POST', '/admin/v1/teams', { name: `${name}-team` });
    await admin('PUT', `/admin/v1/teams/${team.id}/members/${user.id}`, { teamAdmin: false });
    await admin('POST', '/admin/v1/grants', { teamId: team.id, role: 'reader', pattern: '*' });
    const { token } = await admin('POST', '/admin/v1/tokens', { userId: user.id, name: `${name} laptop` });
    return { id: user.id as string, token: token as string };
  };
  const claims = (extra: object = {}) => ({
    sub: adminId,
    name: 'admin',
    iss: 'dingospeed',
    aud: 'dingospeed-admin',
    ...extra,
  });

  beforeAll(async () => {
    w = await startWorld();
    internal = await startInternalService();
    const login = await json(
      'POST',
      '/admin/v1/auth/login',
      { username: 'admin', password: ADMIN_PASSWORD },
      '',
    );
    session = login.json().accessToken;
    adminId = (await admin('GET', '/admin/v1/me')).id;
    reader = await newReader('reader');
  });
  afterAll(async () => {
    await internal.close();
    await w.close();
  });
  beforeEach(() => w.sim.stats.reset());

  /** Refused as a bad credential, on a file and on the admin API, without a word to upstream. */
  const refused = async (authorization: string) => {
    const file = await w.call('/org/model/resolve/main/config.json', { headers: { authorization } });
    expect({ status: file.status, code: file.headers['x-error-code'] }).toEqual({
      status: 401,
      code: 'Unauthorized',
    });
    const api = await w.call('/admin/v1/users', { headers: { authorization } });
    expect(api.status).toBe(401);
    expect(w.sim.stats.requests).toEqual([]);
  };

  describe('mirror tokens', () => {
    tally.it('the bare prefix dgo_ is refused', () => refused('Bearer dgo_'));
    tally.it('a malformed dgo_ token is refused', () => refused(`Bearer dgo_${'x'.repeat(39)}'`));
    tally.it('an unknown, well-formed dgo_ token is refused', () => refused(`Bearer dgo_${'A'.repeat(40)}`));
    tally.it('a 5000-character token is refused', () => refused(`Bearer dgo_${'a'.repeat(5000)}`));
    tally.it('a valid token with a character appended is refused', () => refused(`Bearer ${reader.token}x`));
    tally.it('a revoked token is refused at once', async () => {
      const user = await newReader('revoked');
      expect(
        (
          await w.call('/org/model/resolve/main/config.json', {
            headers: { authorization: `Bearer ${user.token}` },
          })
        ).status,
      ).toBe(200);
      const [token] = await admin('GET', `/admin/v1/tokens?userId=${user.id}`);
      await admin('DELETE', `/admin/v1/tokens/${token.id}`);
      w.sim.stats.reset();
      await refused(`Bearer ${user.token}`);
    });
    tally.it('an expired token is refused', async () => {
      const user = await newReader('expired');
      await w.gateway.adapters.dataSource!.query('UPDATE auth_tokens SET expiresAt = ? WHERE userId = ?', [
        Date.now() - 1000,
        user.id,
      ]);
      await refused(`Bearer ${user.token}`);
    });
    tally.it('a token of a disabled user is refused', async () => {
      const user = await newReader('disabled');
      await admin('PATCH', `/admin/v1/users/${user.id}`, { disabled: true });
      await refused(`Bearer ${user.token}`);
    });
    tally.it('Basic auth with a wrong dgo_ password is refused; with the right one it works', async () => {
      await refused('Basic ' + Buffer.from(`reader:dgo_${'B'.repeat(40)}`).toString('base64'));
      const ok = await w.call('/org/model/resolve/main/config.json', {
        headers: { authorization: 'Basic ' + Buffer.from(`reader:${reader.token}`).toString('base64') },
      });
      expect(ok.status).toBe(200);
    });
    tally.it('the scheme is case-insensitive and surrounding blanks do not matter', async () => {
      for (const authorization of [
        `bearer ${reader.token}`,
        `BEARER ${reader.token}`,
        `Bearer   ${reader.token}  `,
      ])
        expect(
          (await w.call('/org/model/resolve/main/config.json', { headers: { authorization } })).status,
        ).toBe(200);
    });
  });

  describe('session JWTs', () => {
    const signed = (c: object, opts: jwt.SignOptions = {}, secret = JWT_SECRET) =>
      jwt.sign(c, secret, { algorithm: 'HS256', ...opts });
    const cases: Array<[string, () => string]> = [
      [
        'alg none, no signature',
        () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims(), iat: now(), exp: now() + 60 })}.`,
      ],
      [
        'alg none with a stolen signature',
        () =>
          `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims(), iat: now(), exp: now() + 60 })}.${signed(claims(), { expiresIn: 60 }).split('.')[2]}`,
      ],
      ['HS512 with the right secret', () => signed(claims(), { algorithm: 'HS512', expiresIn: 60 })],
      ['HS384 with the right secret', () => signed(claims(), { algorithm: 'HS384', expiresIn: 60 })],
      ['no exp', () => signed({ ...claims(), iat: now() })],
      ['no iat', () => signed({ ...claims(), exp: now() + 60 }, { noTimestamp: true })],
      ['expired', () => signed({ ...claims(), iat: now() - 120, exp: now() - 60 })],
      ['not valid before a future time', () => signed(claims(), { expiresIn: 600, notBefore: 300 })],
      ['another audience', () => signed({ ...claims(), aud: 'someone-else' }, { expiresIn: 60 })],
      ['another issuer', () => signed({ ...claims(), iss: 'evil' }, { expiresIn: 60 })],
      ['signed with another key', () => signed(claims(), { expiresIn: 60 }, randomBytes(32).toString('hex'))],
      [
        'signed with the example placeholder secret',
        () => signed(claims(), { expiresIn: 60 }, 'change-me-to-a-long-shared-secret-0123456789'),
      ],
      [
        'payload swapped under a valid signature',
        () => {
          const [h, , s] = signed(
            { ...claims(), sub: randomBytes(8).toString('hex') },
            { expiresIn: 60 },
          ).split('.');
          return `${h}.${b64({ ...claims(), iat: now(), exp: now() + 60 })}.${s}`;
        },
      ],
      [
        'a user that does not exist',
        () => signed({ ...claims(), sub: '00000000-0000-4000-8000-000000000000' }, { expiresIn: 60 }),
      ],
      [
        'RS256 header, HMAC-signed with the secret (algorithm confusion)',
        () => {
          const head = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ ...claims(), iat: now(), exp: now() + 60 })}`;
          return `${head}.${createHmac('sha256', JWT_SECRET).update(head).digest('base64url')}`;
        },
      ],
      ['a sub that is not a string', () => signed({ ...claims(), sub: { $ne: null } }, { expiresIn: 60 })],
      ['a truncated token', () => signed(claims(), { expiresIn: 60 }).slice(0, -5)],
    ];
    for (const [name, token] of cases) tally.it(`JWT: ${name} → 401`, () => refused(`Bearer ${token()}`));

    tally.it('JWT: a jku/x5u header pointing at an internal service is never fetched', async () => {
      const head = {
        alg: 'HS256',
        typ: 'JWT',
        jku: `http://127.0.0.1:${internal.port}/jwks`,
        x5u: `http://127.0.0.1:${internal.port}/x5u`,
        kid: '../../../../dev/null',
      };
      const body = `${b64(head)}.${b64({ ...claims(), iat: now(), exp: now() + 60 })}`;
      await refused(`Bearer ${body}.${createHmac('sha256', 'x').update(body).digest('base64url')}`);
      expect(internal.requests).toEqual([]);
    });

    tally.it(
      'JWT: the genuine session works (the cases above are refused for their flaw alone)',
      async () => {
        const res = await w.call('/admin/v1/users', { headers: { authorization: `Bearer ${session}` } });
        expect(res.status).toBe(200);
        const handmade = jwt.sign(claims(), JWT_SECRET, { algorithm: 'HS256', expiresIn: 60 });
        expect(
          (await w.call('/admin/v1/users', { headers: { authorization: `Bearer ${handmade}` } })).status,
        ).toBe(200);
      },
    );
  });

  describe('what reaches upstream', () => {
    tally.it('a mirror token and a session JWT never reach upstream, whatever is downloaded', async () => {
      for (const authorization of [`Bearer ${reader.token}`, `Bearer ${session}`]) {
        for (const path of [
          '/org/model/resolve/main/tokenizer.json',
          '/org/model/resolve/main/model.safetensors',
          '/org/gated/resolve/main/config.json',
          '/api/models/org/gated',
          '/api/models/org/model/tree/main?recursive=true',
        ])
          await w.call(path, { headers: { authorization } });
      }
      expect(w.sim.stats.requests.length).toBeGreaterThan(0);
      const leaked = w.sim.stats.requests.filter(
        (r) => r.auth && (r.auth.startsWith('dgo_') || r.auth.startsWith('eyJ')),
      );
      expect(leaked).toEqual([]);
    });

    tally.it(
      "a caller's own HF token passes through (passthrough mode), to the hub only, never to the CDN",
      async () => {
        const res = await w.call('/org/gated/resolve/main/weights.safetensors', {
          headers: { authorization: `Bearer ${HF_APPROVED}` },
        });
        expect(res.status).toBe(200);
        expect(w.sim.stats.requests.some((r) => r.origin === 'hub' && r.auth === HF_APPROVED)).toBe(true);
        expect(w.sim.stats.requests.filter((r) => r.origin === 'cdn' && r.auth)).toEqual([]);
      },
    );

    tally.it(
      'a gated file a mirror user fetched is not served to an anonymous caller from the cache',
      async () => {
        await w.call('/org/gated/resolve/main/config.json', {
          headers: { authorization: `Bearer ${HF_APPROVED}` },
        });
        const anonymous = await w.call('/org/gated/resolve/main/config.json');
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers['x-error-code']).toBe('GatedRepo');
        expect(anonymous.text()).not.toContain('"gated": true');
      },
    );
  });
});
