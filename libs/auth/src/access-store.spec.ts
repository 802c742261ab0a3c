import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { loadConfig } from '@dingo/config';
import { HubError } from '@dingo/hub-protocol';
import { openMetadataDataSource } from '@dingo/metadata-store';
import { AccessDirectory } from './access-directory';
import { AuditLog } from './audit-log';
import { ensureBootstrapAdmin } from './bootstrap-admin';
import {
  AccessTokenEntity,
  AUTH_ENTITIES,
  AuditEventEntity,
  GrantEntity,
  RepoPolicyEntity,
  UserEntity,
} from './entities';
import { AUTH_MIGRATIONS } from './migrations/1765300000000-access-control-schema';
import { hashPersonalToken } from './personal-tokens';
import { RepoPolicyBook } from './repo-policy';

interface Backend {
  name: string;
  open(dataDir: string): Promise<{ ds: DataSource; drop(): Promise<void> }>;
}

const sqlite: Backend = {
  name: 'sqlite',
  async open(dataDir) {
    const ds = await openMetadataDataSource(loadConfig({}, { dataDir }), {
      entities: AUTH_ENTITIES,
      migrations: AUTH_MIGRATIONS,
    });
    return { ds, drop: async () => undefined };
  },
};

/** Run with DINGO_TEST_MYSQL=1 (and DINGO_TEST_MYSQL_URL, default root@127.0.0.1:3306): a throwaway database. */
const mysql: Backend = {
  name: 'mysql',
  async open(dataDir) {
    const server = process.env.DINGO_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
    const db = `dingo_auth_${randomBytes(6).toString('hex')}`;
    const conn = await createConnection(server);
    await conn.query(`CREATE DATABASE ${db} CHARACTER SET utf8mb4`);
    const config = loadConfig({}, { dataDir, database: { type: 'mysql', url: `${server}/${db}` } });
    const ds = await openMetadataDataSource(config, { entities: AUTH_ENTITIES, migrations: AUTH_MIGRATIONS });
    return {
      ds,
      async drop() {
        await conn.query(`DROP DATABASE ${db}`);
        await conn.end();
      },
    };
  },
};

const backends = process.env.DINGO_TEST_MYSQL === '1' ? [sqlite, mysql] : [sqlite];

describe.each(backends)('access tables on $name', (backend) => {
  let ds: DataSource;
  let drop: () => Promise<void>;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dingo-auth-'));
    ({ ds, drop } = await backend.open(dataDir));
  });
  afterAll(async () => {
    await ds.destroy();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates up, down and up again next to the metadata schema', async () => {
    const tables = async () =>
      (await ds.createQueryRunner().getTables(['auth_users', 'auth_tokens', 'audit_events'])).length;
    expect(await tables()).toBe(3);
    // Undo migrations newest first until the access schema's own is undone (metadata ones may be newer).
    for (let i = 0; i < 5 && (await tables()) > 0; i++) await ds.undoLastMigration();
    expect(await tables()).toBe(0);
    await ds.runMigrations();
    expect(await tables()).toBe(3);
  });

  it('creates the bootstrap admin once, with an admin grant on everything', async () => {
    const config = loadConfig(
      {},
      { dataDir, auth: { adminUser: 'root', adminPassword: 'a-long-password-1' } },
    );
    await ensureBootstrapAdmin(ds, config);
    await ensureBootstrapAdmin(ds, config);
    const users = await ds.getRepository(UserEntity).find();
    expect(users.map((u) => [u.username, u.disabled])).toEqual([['root', false]]);
    const grants = await ds.getRepository(GrantEntity).findBy({ subjectId: users[0].id });
    expect(grants.map((g) => [g.role, g.repoType, g.pattern])).toEqual([['admin', '*', '*']]);
  });

  it('reads principals and tokens through a cache that invalidate() clears', async () => {
    const user = (await ds.getRepository(UserEntity).find())[0];
    const directory = new AccessDirectory(ds, 60_000);
    const hash = hashPersonalToken('dgo_x');
    await ds.getRepository(AccessTokenEntity).insert({
      id: '11111111-1111-4111-8111-111111111111',
      userId: user.id,
      name: 't',
      tokenHash: hash,
      displayPrefix: 'dgo_x',
      createdAt: 1,
      expiresAt: Number.MAX_SAFE_INTEGER,
      revokedAt: null,
      lastUsedAt: null,
      createdBy: null,
    });
    expect(await directory.tokenByHash(hash)).toMatchObject({
      userId: user.id,
      revokedAt: null,
      expiresAt: Number.MAX_SAFE_INTEGER,
    });
    expect((await directory.accessOf(user.id))?.grants).toEqual([
      { role: 'admin', repoType: '*', pattern: '*' },
    ]);
    await ds.getRepository(AccessTokenEntity).update({ tokenHash: hash }, { revokedAt: 5 });
    await ds.getRepository(UserEntity).update({ id: user.id }, { disabled: true });
    expect((await directory.tokenByHash(hash))?.revokedAt).toBeNull();
    directory.invalidate();
    expect((await directory.tokenByHash(hash))?.revokedAt).toBe(5);
    expect(await directory.accessOf(user.id)).toBeUndefined();
    await ds.getRepository(UserEntity).update({ id: user.id }, { disabled: false });
  });

  it('batches audit writes off the request path and makes them queryable', async () => {
    const log = new AuditLog(ds);
    const rows = ds.getRepository(AuditEventEntity);
    const before = await rows.count();
    for (let i = 0; i < 1200; i++) {
      log.record({
        action: 'download',
        repoType: 'model',
        repoId: 'org/m',
        revision: 'main',
        commit: 'c'.repeat(40),
        path: `f${i}`,
        bytes: 3_000_000_000 + i,
        status: 200,
        clientIp: '10.0.0.1',
        aborted: false,
      });
    }
    expect(await rows.count()).toBeLessThan(before + 1200);
    await log.flush();
    expect(await rows.count()).toBe(before + 1200);
    const last = await rows.findOne({ where: { path: 'f1199' } });
    expect(last).toMatchObject({
      action: 'download',
      bytes: 3_000_001_199,
      repoId: 'org/m',
      clientIp: '10.0.0.1',
    });
    expect(Number(last!.id)).toBeGreaterThan(0);
    await log.onModuleDestroy();
  });

  it('applies upstream repo policy: deny wins, then allow, then the default', async () => {
    const book = new RepoPolicyBook(ds, 'deny', 60_000);
    const policies = ds.getRepository(RepoPolicyEntity);
    const rule = (id: string, effect: string, pattern: string, reason: string | null = null) =>
      policies.insert({ id, effect, repoType: '*', pattern, reason, createdAt: Date.now(), createdBy: null });
    await rule('22222222-2222-4222-8222-222222222221', 'allow', 'org/*');
    await rule('22222222-2222-4222-8222-222222222222', 'deny', 'org/secret-*', 'export controlled');
    const verdict = async (id: string) =>
      book.assertAllowed({ type: 'model', id }).then(
        () => 'allowed',
        (e: HubError) => `${e.status} ${e.message}`,
      );
    expect(await verdict('org/m')).toBe('allowed');
    expect(await verdict('ORG/Secret-x')).toBe(
      '403 Blocked by mirror policy: models/ORG/Secret-x is denied (export controlled)',
    );
    expect(await verdict('other/m')).toMatch(/^403 .*not on this mirror's list of approved repos/);
    expect(
      await new RepoPolicyBook(ds, 'allow').assertAllowed({ type: 'model', id: 'other/m' }),
    ).toBeUndefined();
  });
});
