import { DataSource } from 'typeorm';
import { DataSourceExtras, ensureDatabaseExists, metadataDataSourceOptions } from './data-source';
import { DingoConfig } from '@dingo/config';

const LOCK = 'dingo_migrations';

/**
 * Opens the metadata database and runs pending migrations, one replica at a time: with several
 * metadata replicas starting together, MySQL's GET_LOCK makes the others wait until the first has
 * migrated, then find nothing left to do. (SQLite has a single writer process anyway.)
 */
export async function openMigratedDataSource(
  config: DingoConfig,
  extras?: DataSourceExtras,
  waitSeconds = 300,
): Promise<DataSource> {
  await ensureDatabaseExists(config);
  const ds = new DataSource({ ...metadataDataSourceOptions(config, extras), migrationsRun: false });
  await ds.initialize();
  try {
    if (ds.options.type !== 'mysql') {
      await ds.runMigrations();
      return ds;
    }
    // GET_LOCK belongs to a connection: hold one for the whole migration.
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      const [row] = await runner.query('SELECT GET_LOCK(?, ?) AS got', [LOCK, waitSeconds]);
      if (Number(row?.got) !== 1)
        throw new Error(`another replica held the migration lock for ${waitSeconds} s`);
      try {
        await ds.runMigrations();
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [LOCK]);
      }
    } finally {
      await runner.release();
    }
    return ds;
  } catch (err) {
    await ds.destroy();
    throw err;
  }
}
