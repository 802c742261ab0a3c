import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: true });
const ref = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: '36',
  isNullable: nullable,
});
const epoch = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'bigint',
  isNullable: nullable,
});

/** Users, teams, grants, tokens, policies and the audit log; portable Table API (SQLite and MySQL). */
export class AccessControlSchema1765300000000 implements MigrationInterface {
  name = 'AccessControlSchema1765300000000';

  async up(q: QueryRunner): Promise<void> {
    const isMysql = q.connection.options.type === 'mysql' || q.connection.options.type === 'mariadb';
    await q.createTable(
      new Table({
        name: 'auth_users',
        columns: [
          id(),
          { name: 'username', type: 'varchar', length: '64' },
          { name: 'displayName', type: 'varchar', length: '200', isNullable: true },
          { name: 'passwordHash', type: 'varchar', length: '255', isNullable: true },
          { name: 'disabled', type: 'boolean' },
          epoch('createdAt'),
          epoch('updatedAt'),
        ],
        indices: [
          new TableIndex({ name: 'idx_auth_users_username', columnNames: ['username'], isUnique: true }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'auth_teams',
        columns: [
          id(),
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'description', type: 'varchar', length: '500', isNullable: true },
          epoch('createdAt'),
        ],
        indices: [new TableIndex({ name: 'idx_auth_teams_name', columnNames: ['name'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'auth_team_members',
        columns: [id('teamId'), id('userId'), { name: 'teamAdmin', type: 'boolean' }, epoch('createdAt')],
        indices: [new TableIndex({ name: 'idx_auth_team_members_user', columnNames: ['userId'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'auth_roles',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          { name: 'description', type: 'varchar', length: '500', isNullable: true },
          { name: 'actions', type: 'varchar', length: '200' },
          epoch('createdAt'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'auth_grants',
        columns: [
          id(),
          { name: 'subjectType', type: 'varchar', length: '8' },
          ref('subjectId'),
          { name: 'role', type: 'varchar', length: '64' },
          { name: 'repoType', type: 'varchar', length: '8' },
          { name: 'pattern', type: 'varchar', length: '200' },
          epoch('createdAt'),
          ref('createdBy', true),
        ],
        indices: [
          new TableIndex({ name: 'idx_auth_grants_subject', columnNames: ['subjectType', 'subjectId'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'auth_tokens',
        columns: [
          id(),
          ref('userId'),
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'tokenHash', type: 'varchar', length: '64' },
          { name: 'displayPrefix', type: 'varchar', length: '16' },
          epoch('createdAt'),
          epoch('expiresAt', true),
          epoch('revokedAt', true),
          epoch('lastUsedAt', true),
          ref('createdBy', true),
        ],
        indices: [
          new TableIndex({ name: 'idx_auth_tokens_hash', columnNames: ['tokenHash'], isUnique: true }),
          new TableIndex({ name: 'idx_auth_tokens_user', columnNames: ['userId'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'auth_repo_policies',
        columns: [
          id(),
          { name: 'effect', type: 'varchar', length: '8' },
          { name: 'repoType', type: 'varchar', length: '8' },
          { name: 'pattern', type: 'varchar', length: '200' },
          { name: 'reason', type: 'varchar', length: '500', isNullable: true },
          epoch('createdAt'),
          ref('createdBy', true),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          // SQLite only auto-increments an INTEGER PRIMARY KEY.
          {
            name: 'id',
            type: isMysql ? 'bigint' : 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          epoch('at'),
          { name: 'action', type: 'varchar', length: '16' },
          { name: 'status', type: 'int' },
          ref('userId', true),
          ref('tokenId', true),
          { name: 'repoType', type: 'varchar', length: '8', isNullable: true },
          { name: 'repoId', type: 'varchar', length: '200', isNullable: true },
          { name: 'revision', type: 'varchar', length: '256', isNullable: true },
          { name: 'path', type: 'text', isNullable: true },
          epoch('bytes', true),
          { name: 'clientIp', type: 'varchar', length: '64', isNullable: true },
          { name: 'detail', type: 'text', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'idx_audit_events_at', columnNames: ['at'] }),
          new TableIndex({ name: 'idx_audit_events_user_at', columnNames: ['userId', 'at'] }),
          new TableIndex({ name: 'idx_audit_events_repo_at', columnNames: ['repoId', 'at'] }),
          new TableIndex({ name: 'idx_audit_events_action_at', columnNames: ['action', 'at'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'audit_events',
      'auth_repo_policies',
      'auth_tokens',
      'auth_grants',
      'auth_roles',
      'auth_team_members',
      'auth_teams',
      'auth_users',
    ]) {
      await q.dropTable(t);
    }
  }
}

export const AUTH_MIGRATIONS = [AccessControlSchema1765300000000];
