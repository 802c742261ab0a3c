import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { DataSource } from 'typeorm';
import { createConnection } from 'mysql2/promise';
import { ACCESS_DATA_SOURCE } from '@dingo/auth';
import { DingoConfigInput } from '@dingo/config';
import { GatewayModule } from '@dingo/gateway';
import { HubSimulator } from '@dingo/hub-simulator';
import { RunningGateway, startEmbeddedGateway, tempDir } from '@dingo/testing';

export const ADMIN_PASSWORD = 'correct-horse-battery-staple';
export const JWT_SECRET = 'e2e-secret-e2e-secret-e2e-secret-e2e-secret';
/** The simulator's tokens: a user's own HF token, and the mirror's service account (approved for gated repos). */
export const HF_USER_TOKEN = 'hf_user_token';
export const HF_SERVICE_TOKEN = 'hf_service_token';

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

/** An upstream simulator with a few repos, and the real gateway in front of it. */
export async function startAccessWorld(
  auth: NonNullable<DingoConfigInput['auth']> = {},
  extra: DingoConfigInput = {},
) {
  const simDir = tempDir('access-sim');
  const sim = await HubSimulator.start({
    dataDir: simDir.path,
    tokens: {
      [HF_USER_TOKEN]: { user: 'someone' },
      [HF_SERVICE_TOKEN]: { user: 'mirror-service', approved: ['*'] },
    },
  });
  const files = [
    { path: 'config.json', content: '{"model_type":"gpt2"}' },
    { path: 'model.safetensors', size: 200_000 },
  ];
  for (const id of ['allowed/m', 'allowed/m2', 'other/m'])
    await sim.addRepo({ type: 'model', id, commits: [{ files }] });
  await sim.addRepo({
    type: 'dataset',
    id: 'allowed/d',
    commits: [{ files: [{ path: 'data.csv', content: 'a,b\n1,2\n' }] }],
  });
  await sim.addRepo({ type: 'model', id: 'allowed/gated', gated: 'auto', commits: [{ files }] });
  const db = await mysqlDatabaseIfAsked();
  const gateway: RunningGateway = await startEmbeddedGateway((config) => GatewayModule.forConfig(config), {
    upstreams: [sim.url],
    upstreamAllowPrivate: [sim.cdnUrl],
    chunkSizeBytes: 256 * 1024,
    ...(db ? { database: { type: 'mysql', url: db.url } } : {}),
    ...extra,
    auth: { adminPassword: ADMIN_PASSWORD, jwtSecret: JWT_SECRET, ...auth },
  });
  const ds = gateway.app.get<DataSource>(ACCESS_DATA_SOURCE, { strict: false });
  const world = {
    sim,
    gateway,
    ds,
    url: gateway.url,
    adminSession: '',
    async close() {
      await gateway.close();
      await sim.stop();
      simDir.cleanup();
      await db?.drop();
    },
    /** JSON over HTTP against the gateway; `token` becomes `Authorization: Bearer …`. */
    async call(
      method: string,
      path: string,
      opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
    ): Promise<Reply> {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(world.url + path, {
        method,
        headers,
        body:
          opts.body === undefined
            ? undefined
            : typeof opts.body === 'string'
              ? opts.body
              : JSON.stringify(opts.body),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: res.status, headers: res.headers, body };
    },
    /** As the admin; throws unless the answer is 2xx. */
    async admin(method: string, path: string, body?: unknown): Promise<any> {
      const reply = await world.call(method, path, { token: world.adminSession, body });
      if (reply.status >= 300)
        throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
      return reply.body;
    },
    async user(username: string): Promise<{ id: string; token: string }> {
      const user = await world.admin('POST', '/admin/v1/users', { username });
      const { token } = await world.admin('POST', '/admin/v1/tokens', {
        userId: user.id,
        name: `${username} e2e`,
      });
      return { id: user.id, token };
    },
    async team(
      name: string,
      members: { id: string; teamAdmin?: boolean }[],
      grants: { role: string; pattern: string; repoType?: string }[] = [],
    ) {
      const team = await world.admin('POST', '/admin/v1/teams', { name });
      for (const m of members)
        await world.admin('PUT', `/admin/v1/teams/${team.id}/members/${m.id}`, {
          teamAdmin: m.teamAdmin ?? false,
        });
      const grantIds: string[] = [];
      for (const g of grants)
        grantIds.push((await world.admin('POST', '/admin/v1/grants', { teamId: team.id, ...g })).id);
      return { id: team.id as string, grantIds };
    },
    /** A digest of every access table: a refused request must leave it unchanged. */
    async snapshot(): Promise<string> {
      const h = createHash('sha256');
      for (const t of [
        'auth_users',
        'auth_teams',
        'auth_team_members',
        'auth_roles',
        'auth_grants',
        'auth_repo_policies',
      ]) {
        h.update(JSON.stringify(await ds.query(`SELECT * FROM ${t} ORDER BY 1, 2`)));
      }
      // Everything but lastUsedAt, which any authenticated request may touch.
      h.update(
        JSON.stringify(
          await ds.query(
            'SELECT id, userId, name, tokenHash, expiresAt, revokedAt FROM auth_tokens ORDER BY id',
          ),
        ),
      );
      return h.digest('hex');
    },
  };
  const login = await world.call('POST', '/admin/v1/auth/login', {
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status}`);
  world.adminSession = login.body.accessToken;
  return world;
}

export type AccessWorld = Awaited<ReturnType<typeof startAccessWorld>>;

/** A request with the path sent exactly as given (fetch would normalize `..` and `%2e%2e`). */
export function rawRequest(
  url: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** With DINGO_TEST_MYSQL=1, a throwaway MariaDB/MySQL database (DINGO_TEST_MYSQL_URL, default root@127.0.0.1:3306). */
export async function mysqlDatabaseIfAsked(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  if (process.env.DINGO_TEST_MYSQL !== '1') return undefined;
  const server = process.env.DINGO_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
  const name = `dingo_access_${randomBytes(6).toString('hex')}`;
  const conn = await createConnection(server);
  await conn.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  await conn.end();
  return {
    url: `${server.replace(/\/+$/, '')}/${name}`,
    async drop() {
      const c = await createConnection(server);
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}
