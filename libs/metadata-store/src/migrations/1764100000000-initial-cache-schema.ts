import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** Written with the portable Table API so the same migration runs on SQLite and MySQL. */
export class InitialCacheSchema1764100000000 implements MigrationInterface {
  name = 'InitialCacheSchema1764100000000';

  async up(q: QueryRunner): Promise<void> {
    const isMysql = q.connection.options.type === 'mysql' || q.connection.options.type === 'mariadb';
    const big = 'bigint';
    await q.createTable(
      new Table({
        name: 'revisions',
        columns: [
          { name: 'key', type: 'varchar', length: '40', isPrimary: true },
          { name: 'repoType', type: 'varchar', length: '16' },
          { name: 'repoId', type: 'varchar', length: '200' },
          { name: 'revision', type: 'varchar', length: '256' },
          { name: 'commit', type: 'varchar', length: '40' },
          { name: 'fetchedAt', type: big },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'files',
        columns: [
          { name: 'key', type: 'varchar', length: '40', isPrimary: true },
          { name: 'repoType', type: 'varchar', length: '16' },
          { name: 'repoId', type: 'varchar', length: '200' },
          { name: 'commit', type: 'varchar', length: '40' },
          { name: 'path', type: 'text' },
          { name: 'size', type: big },
          { name: 'blobId', type: 'varchar', length: '40', isNullable: true },
          { name: 'sha256', type: 'varchar', length: '64', isNullable: true },
          { name: 'lfs', type: 'boolean' },
          { name: 'fetchedAt', type: big },
        ],
      }),
    );
    await q.createIndex(
      'files',
      new TableIndex({ name: 'idx_files_repo_commit', columnNames: ['repoType', 'repoId', 'commit'] }),
    );
    await q.createTable(
      new Table({
        name: 'blobs',
        columns: [
          { name: 'key', type: 'varchar', length: '80', isPrimary: true },
          { name: 'size', type: big },
          { name: 'chunkSize', type: 'int' },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'createdAt', type: big },
          { name: 'lastAccessAt', type: big },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'chunks',
        columns: [
          { name: 'blobKey', type: 'varchar', length: '80', isPrimary: true },
          { name: 'index', type: 'int', isPrimary: true },
          { name: 'size', type: 'int' },
          { name: 'sha256', type: 'varchar', length: '64' },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'repos',
        columns: [
          { name: 'key', type: 'varchar', length: '220', isPrimary: true },
          { name: 'visibility', type: 'varchar', length: '16' },
          { name: 'checkedAt', type: big },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'api_cache',
        columns: [
          { name: 'key', type: 'varchar', length: '64', isPrimary: true },
          { name: 'repoKey', type: 'varchar', length: '220' },
          { name: 'url', type: 'text' },
          { name: 'status', type: 'int' },
          { name: 'headers', type: 'text' },
          { name: 'body', type: isMysql ? 'longblob' : 'blob' },
          { name: 'fetchedAt', type: big },
          { name: 'immutable', type: 'boolean' },
        ],
      }),
    );
    await q.createIndex(
      'api_cache',
      new TableIndex({ name: 'idx_api_cache_repo', columnNames: ['repoKey'] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['api_cache', 'repos', 'chunks', 'blobs', 'files', 'revisions']) await q.dropTable(t);
  }
}
