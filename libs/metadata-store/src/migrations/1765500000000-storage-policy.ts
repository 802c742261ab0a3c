import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/** Tiers (where a chunk lies, what it costs on disk), LRU order of blobs, and pinned repos. */
export class StoragePolicy1765500000000 implements MigrationInterface {
  name = 'StoragePolicy1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn(
      'chunks',
      new TableColumn({ name: 'tier', type: 'varchar', length: '8', default: "'hot'" }),
    );
    await q.addColumn('chunks', new TableColumn({ name: 'storedSize', type: 'bigint', isNullable: true }));
    await q.createIndex('chunks', new TableIndex({ name: 'idx_chunks_tier', columnNames: ['tier'] }));
    await q.createIndex(
      'blobs',
      new TableIndex({ name: 'idx_blobs_last_access', columnNames: ['lastAccessAt'] }),
    );
    await q.createTable(
      new Table({
        name: 'pins',
        columns: [
          { name: 'repoType', type: 'varchar', length: '16', isPrimary: true },
          { name: 'repoId', type: 'varchar', length: '200', isPrimary: true },
          { name: 'pinnedAt', type: 'bigint' },
          { name: 'pinnedBy', type: 'varchar', length: '64', isNullable: true },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('pins');
    await q.dropIndex('blobs', 'idx_blobs_last_access');
    await q.dropIndex('chunks', 'idx_chunks_tier');
    await q.dropColumn('chunks', 'storedSize');
    await q.dropColumn('chunks', 'tier');
  }
}
