import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { HubSimulator } from '@dingo/hub-simulator';
import { freePort, startS3, startService, tempDir, uniqueNamespace } from '@dingo/testing';
import { groupTally } from './tally';
import { call, REPO_ROOT, spawnApp } from './world';

const tally = groupTally('issue #18 points');

const MYSQL = 'mysql://root@127.0.0.1:3306';
const REDIS_URL = 'redis://127.0.0.1:6379/0';

/** The non-empty lines an app printed. */
const lines = (out: string) => out.split('\n').filter((l) => l.trim() !== '');

/** `sh deploy/new-env.sh` as an operator runs it: KEY=value lines with fresh secrets. */
function newEnv(kind: 'compose' | 'k8s' = 'compose'): Record<string, string> {
  const out = execFileSync('sh', [join(REPO_ROOT, 'deploy/new-env.sh'), kind], { encoding: 'utf8' });
  return Object.fromEntries(
    lines(out)
      .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** Issue #18, Operability: point 14, as a new user meets it (real processes). */
describe('issue #18 operability', () => {
  let sim: HubSimulator;
  let simDir: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    simDir = tempDir('op-sim');
    sim = await HubSimulator.start({ dataDir: simDir.path });
    await sim.addRepo({
      type: 'model',
      id: 'org/m',
      commits: [{ files: [{ path: 'config.json', content: '{}' }] }],
    });
  });
  afterAll(async () => {
    await sim.stop();
    simDir.cleanup();
  });

  tally.it(
    '#14 a busy port is one actionable line (no EADDRINUSE stack), before anything is created in the data dir',
    async () => {
      const dir = tempDir('busy');
      const squatter = createServer();
      await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()));
      const port = (squatter.address() as { port: number }).port;
      try {
        const app = spawnApp('gateway', {
          DINGO_PORT: String(port),
          DINGO_DATA_DIR: dir.path,
          DINGO_UPSTREAMS: sim.url,
        });
        expect(await app.exit()).not.toBe(0);
        const out = lines(app.output());
        expect(out).toEqual([
          `Port ${port} on 127.0.0.1 is already in use: stop what runs there, or set DINGO_PORT`,
        ]);
        expect(readdirSync(dir.path)).toEqual([]); // no admin created, no password file, no database
      } finally {
        squatter.close();
        dir.cleanup();
      }
    },
    40_000,
  );

  tally.it(
    '#14 the start-up log says where it really listens (0.0.0.0), the upstreams, the data dir, the docs URL and where the admin password is; each is true',
    async () => {
      const dir = tempDir('startlog');
      const port = await freePort();
      const env = {
        DINGO_HOST: '0.0.0.0',
        DINGO_LOG_LEVEL: 'log',
        DINGO_DATA_DIR: dir.path,
        DINGO_UPSTREAMS: sim.url,
      };
      try {
        const gw = await startService('gateway', env, { port });
        let out: string;
        try {
          out = gw.output();
          expect(out).toMatch(
            new RegExp(
              `listening on 0\\.0\\.0\\.0:${port} \\(all interfaces: http://127\\.0\\.0\\.1:${port}`,
            ),
          );
          expect(out).toContain(`upstreams: ${sim.url}; data: ${resolve(dir.path)}`);
          const docs = new RegExp(`admin API docs: (http://[^\\s]+:${port}/admin/v1/docs)`).exec(out)?.[1];
          expect(docs).toBeDefined();
          expect((await fetch(docs!)).status).toBe(200);
          const passwordFile = join(resolve(dir.path), 'admin-password');
          expect(out).toContain(`the generated admin password is in ${passwordFile}`);
          expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
          const password = readFileSync(passwordFile, 'utf8').trim();
          expect(out).not.toContain(password);
          const login = await call(gw.url, '/admin/v1/auth/login', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: 'admin', password }),
          });
          expect(login.status).toBe(200);
        } finally {
          await gw.stop();
        }

        // Restarted with a password of its own (from deploy/new-env.sh): it cannot apply, and says so.
        const generated = newEnv();
        const again = await startService(
          'gateway',
          {
            ...env,
            DINGO_ADMIN_PASSWORD: generated.DINGO_ADMIN_PASSWORD,
            DINGO_JWT_SECRET: generated.DINGO_JWT_SECRET,
          },
          { port },
        );
        try {
          const warning = lines(again.output()).filter((l) => l.includes('DINGO_ADMIN_PASSWORD'));
          expect(warning).toHaveLength(1);
          expect(warning[0]).toMatch(/DINGO_ADMIN_PASSWORD is set but was not applied: users exist already/);
          const withNew = await call(again.url, '/admin/v1/auth/login', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: 'admin', password: generated.DINGO_ADMIN_PASSWORD }),
          });
          expect(withNew.status).toBe(401);
        } finally {
          await again.stop();
        }
      } finally {
        dir.cleanup();
      }
    },
    60_000,
  );

  tally.it(
    '#3 deploy/new-env.sh replaces every placeholder with a long random secret (compose and k8s)',
    async () => {
      for (const kind of ['compose', 'k8s'] as const) {
        const env = newEnv(kind);
        expect(Object.keys(env).length).toBeGreaterThan(3);
        for (const [key, value] of Object.entries(env))
          expect({ key, value }).not.toEqual({ key, value: expect.stringMatching(/change[\s_-]*me/i) });
        expect(env.DINGO_JWT_SECRET.length).toBeGreaterThanOrEqual(32);
        expect(env.DINGO_ADMIN_PASSWORD.length).toBeGreaterThanOrEqual(12);
      }
      expect(newEnv().DINGO_JWT_SECRET).not.toBe(newEnv().DINGO_JWT_SECRET);
    },
  );

  describe('distributed mode', () => {
    const dbName = `dingo_hostile_${randomBytes(4).toString('hex')}`;
    let s3: Awaited<ReturnType<typeof startS3>>;
    let metadata: Awaited<ReturnType<typeof startService>> | undefined;
    const dirs: Array<ReturnType<typeof tempDir>> = [];
    const namespace = uniqueNamespace('hostile');
    const distributedEnv = (dataDir: string): Record<string, string> => ({
      DINGO_MODE: 'distributed',
      DINGO_DB_TYPE: 'mysql',
      DINGO_DB_URL: `${MYSQL}/${dbName}`,
      DINGO_REDIS_URL: REDIS_URL,
      DINGO_S3_URL: s3.url(`chunks-${namespace}`),
      DINGO_NAMESPACE: namespace,
      DINGO_UPSTREAMS: sim.url,
      DINGO_DATA_DIR: dataDir,
    });
    const scratch = () => {
      const d = tempDir('dist');
      dirs.push(d);
      return d.path;
    };
    const databaseExists = async () => {
      const conn = await createConnection(MYSQL);
      try {
        const [rows] = await conn.query('SHOW DATABASES LIKE ?', [dbName]);
        return (rows as unknown[]).length === 1;
      } finally {
        await conn.end();
      }
    };

    beforeAll(async () => {
      s3 = await startS3();
    });
    afterAll(async () => {
      await metadata?.stop();
      const conn = await createConnection(MYSQL);
      await conn.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
      await conn.end();
      await s3.close();
      for (const d of dirs) d.cleanup();
    });

    tally.it(
      "#14 the distributed README's first step on a fresh server creates the database instead of crashing with `Unknown database`",
      async () => {
        expect(await databaseExists()).toBe(false);
        metadata = await startService('metadata', distributedEnv(scratch()), { timeoutMs: 45_000 });
        expect(await databaseExists()).toBe(true);
        expect(metadata.output()).not.toMatch(/Unknown database/);
      },
      60_000,
    );

    tally.it(
      "#3/#14 a distributed gateway refuses to start without a shared JWT secret or an admin password, and never overwrites an embedded gateway's admin-password",
      async () => {
        expect(metadata).toBeDefined(); // migrations ran (previous case)
        const dataDir = scratch();
        writeFileSync(join(dataDir, 'admin-password'), 'embedded-gateway-password\n', { mode: 0o600 });
        const noSecret = spawnApp('gateway', { ...distributedEnv(dataDir), DINGO_PORT: '0' });
        const noPassword = spawnApp('gateway', {
          ...distributedEnv(dataDir),
          DINGO_PORT: '0',
          DINGO_JWT_SECRET: randomBytes(24).toString('hex'),
        });
        const [secretExit, passwordExit] = await Promise.all([
          noSecret.exit(45_000),
          noPassword.exit(45_000),
        ]);
        // Both outcomes at once, so one refusal's defect does not hide the other's.
        expect({
          secret: { failed: secretExit !== 0, lines: lines(noSecret.output()) },
          password: { failed: passwordExit !== 0, lines: lines(noPassword.output()) },
        }).toEqual({
          secret: {
            failed: true,
            lines: [expect.stringMatching(/^DINGO_JWT_SECRET is required in distributed mode/)],
          },
          password: {
            failed: true,
            lines: [
              expect.stringMatching(
                /^DINGO_ADMIN_PASSWORD is required to create the first admin in distributed mode/,
              ),
            ],
          },
        });
        expect(readFileSync(join(dataDir, 'admin-password'), 'utf8')).toBe('embedded-gateway-password\n');
        expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(false);
      },
      60_000,
    );
  });
});
