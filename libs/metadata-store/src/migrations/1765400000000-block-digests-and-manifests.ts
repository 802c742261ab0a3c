import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * Chunks carry per-block digests (checked on every read) instead of one sha256 (checked only on
 * whole reads, and skipped when the file looked unchanged); commits get a manifest of their files.
 * Cached API answers are dropped: earlier versions stored `Link`/`Location` already rewritten
 * from the request's Host header, so they may hold a reflected, attacker-chosen host.
 */
export class BlockDigestsAndManifests1765400000000 implements MigrationInterface {
  name = 'BlockDigestsAndManifests1765400000000';

  async up(q: QueryRunner): Promise<void> {
    const isMysql = q.connection.options.type === 'mysql' || q.connection.options.type === 'mariadb';
    await q.addColumn('chunks', new TableColumn({ name: 'blockSize', type: 'int', default: 0 }));
    await q.addColumn(
      'chunks',
      // Nullable, no default: MySQL refuses literal defaults on TEXT columns. Null reads as ''.
      new TableColumn({ name: 'blockDigests', type: isMysql ? 'mediumtext' : 'text', isNullable: true }),
    );
    await q.dropColumn('chunks', 'sha256');
    await q.createTable(
      new Table({
        name: 'manifests',
        columns: [
          { name: 'key', type: 'varchar', length: '40', isPrimary: true },
          { name: 'repoType', type: 'varchar', length: '16' },
          { name: 'repoId', type: 'varchar', length: '200' },
          { name: 'commit', type: 'varchar', length: '40' },
          { name: 'entries', type: isMysql ? 'longblob' : 'blob' },
          { name: 'fetchedAt', type: 'bigint' },
        ],
      }),
    );
    await q.query('DELETE FROM api_cache');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('manifests');
    await q.dropColumn('chunks', 'blockDigests');
    await q.dropColumn('chunks', 'blockSize');
    await q.addColumn(
      'chunks',
      new TableColumn({ name: 'sha256', type: 'varchar', length: '64', default: "''" }),
    );
  }
}
