import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

const key = (name: string, length: string): TableColumnOptions => ({
  name,
  type: 'varchar',
  length,
  isPrimary: true,
});
const repoKey = [key('repoType', '16'), key('repoId', '200')];

/** Hosted repos, their refs and commits; portable Table API (SQLite and MySQL). */
export class HostedRepos1766000000000 implements MigrationInterface {
  name = 'HostedRepos1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'hosted_repos',
        columns: [
          ...repoKey,
          { name: 'private', type: 'boolean' },
          { name: 'createdBy', type: 'varchar', length: '64', isNullable: true },
          { name: 'createdAt', type: 'bigint' },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'hosted_refs',
        columns: [...repoKey, key('ref', '255'), { name: 'commit', type: 'varchar', length: '40' }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'hosted_commits',
        columns: [
          ...repoKey,
          key('commit', '40'),
          { name: 'parents', type: 'varchar', length: '400' },
          { name: 'tree', type: 'varchar', length: '40' },
          { name: 'author', type: 'varchar', length: '64' },
          { name: 'message', type: 'text' },
          { name: 'createdAt', type: 'bigint' },
        ],
        indices: [new TableIndex({ name: 'idx_hosted_commits_repo', columnNames: ['repoType', 'repoId'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('hosted_commits');
    await q.dropTable('hosted_refs');
    await q.dropTable('hosted_repos');
  }
}

export const HOSTED_MIGRATIONS = [HostedRepos1766000000000];
