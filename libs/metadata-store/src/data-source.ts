import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataSource, DataSourceOptions, MixedList } from 'typeorm';
import { DingoConfig, StartupError } from '@dingo/config';
import { createConnection } from 'mysql2/promise';
import { METADATA_ENTITIES } from './entities';
import { InitialCacheSchema1764100000000 } from './migrations/1764100000000-initial-cache-schema';
import { BlockDigestsAndManifests1765400000000 } from './migrations/1765400000000-block-digests-and-manifests';
import { StoragePolicy1765500000000 } from './migrations/1765500000000-storage-policy';

export const METADATA_MIGRATIONS = [
  InitialCacheSchema1764100000000,
  BlockDigestsAndManifests1765400000000,
  StoragePolicy1765500000000,
];

export interface DataSourceExtras {
  // Other libs (auth, audit) register their entities and migrations here.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations?: Function[];
}

/** SQLite (embedded) or MySQL (production); schema comes from migrations, never `synchronize`. */
export function metadataDataSourceOptions(
  config: DingoConfig,
  extras: DataSourceExtras = {},
): DataSourceOptions {
  const entities = [
    ...METADATA_ENTITIES,
    ...((extras.entities as unknown[]) ?? []),
  ] as DataSourceOptions['entities'];
  const migrations = [...METADATA_MIGRATIONS, ...(extras.migrations ?? [])];
  if (config.database.type === 'mysql') {
    if (!config.database.url) throw new Error('database.url (DINGO_DB_URL) is required for mysql');
    return {
      type: 'mysql',
      url: config.database.url,
      entities,
      migrations,
      migrationsRun: true,
      synchronize: false,
      charset: 'utf8mb4',
      supportBigNumbers: true,
      extra: { connectionLimit: 20 },
    };
  }
  const database = config.database.url ?? join(config.dataDir, 'metadata.sqlite');
  if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
  return {
    type: 'better-sqlite3',
    database,
    entities,
    migrations,
    migrationsRun: true,
    synchronize: false,
    // WAL lets readers proceed while a writer commits; NORMAL sync is safe with WAL.
    prepareDatabase: (db: { pragma(s: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
    },
  };
}

export async function openMetadataDataSource(
  config: DingoConfig,
  extras?: DataSourceExtras,
): Promise<DataSource> {
  await ensureDatabaseExists(config);
  const ds = new DataSource(metadataDataSourceOptions(config, extras));
  await ds.initialize();
  return ds;
}

/**
 * A MySQL URL naming a database that does not exist yet (a fresh server): create it (utf8mb4), as
 * a first start should, instead of failing with "Unknown database". SQLite files are created anyway.
 */
export async function ensureDatabaseExists(config: DingoConfig): Promise<void> {
  if (config.database.type !== 'mysql' || !config.database.url) return;
  const url = new URL(config.database.url);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name)
    throw new StartupError('DINGO_DB_URL names no database: mysql://user:password@host:3306/<database>');
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(name))
    throw new StartupError(
      `DINGO_DB_URL: "${name}" is not a database name this mirror creates (letters, digits, _ $ -)`,
    );
  url.pathname = '/';
  const conn = await createConnection({ uri: url.toString() }).catch((err: Error) => {
    throw new StartupError(`Cannot connect to MySQL at ${url.host}: ${err.message}`);
  });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4`);
  } catch (err) {
    throw new StartupError(
      `Database "${name}" does not exist and could not be created (${(err as Error).message}): create it, or grant CREATE`,
    );
  } finally {
    await conn.end();
  }
}
