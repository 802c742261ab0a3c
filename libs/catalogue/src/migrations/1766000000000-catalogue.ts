import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** The catalogue's repo index; portable Table API (SQLite and MySQL). */
export class Catalogue1766000000000 implements MigrationInterface {
  name = 'Catalogue1766000000000';

  async up(q: QueryRunner): Promise<void> {
    const optional = (name: string, type: string, length?: string) => ({
      name,
      type,
      length,
      isNullable: true,
    });
    await q.createTable(
      new Table({
        name: 'catalogue_repos',
        columns: [
          { name: 'repoType', type: 'varchar', length: '16', isPrimary: true },
          { name: 'repoId', type: 'varchar', length: '200', isPrimary: true },
          optional('author', 'varchar', '200'),
          optional('pipelineTag', 'varchar', '64'),
          optional('libraryName', 'varchar', '64'),
          optional('license', 'varchar', '64'),
          { name: 'tags', type: 'text' },
          { name: 'formats', type: 'varchar', length: '200' },
          { name: 'gated', type: 'varchar', length: '8' },
          { name: 'private', type: 'boolean' },
          optional('totalBytes', 'bigint'),
          optional('fileCount', 'int'),
          optional('parameters', 'bigint'),
          optional('lastCommit', 'varchar', '40'),
          optional('lastModified', 'varchar', '40'),
          { name: 'revisions', type: 'text' },
          optional('upstreamDownloads', 'bigint'),
          optional('upstreamLikes', 'int'),
          { name: 'downloads', type: 'bigint' },
          { name: 'firstAccessAt', type: 'bigint' },
          { name: 'lastAccessAt', type: 'bigint' },
        ],
        indices: [
          new TableIndex({ name: 'idx_catalogue_task', columnNames: ['pipelineTag'] }),
          new TableIndex({ name: 'idx_catalogue_library', columnNames: ['libraryName'] }),
          new TableIndex({ name: 'idx_catalogue_last_access', columnNames: ['lastAccessAt'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('catalogue_repos');
  }
}

export const CATALOGUE_MIGRATIONS = [Catalogue1766000000000];
