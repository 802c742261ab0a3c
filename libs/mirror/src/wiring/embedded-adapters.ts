import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { DingoConfig } from '@dingo/config';
import {
  ChunkStore,
  FsChunkStore,
  hasTiers,
  MemoryCachedChunkStore,
  TieredChunkStore,
} from '@dingo/chunk-store';
import { InProcessJobQueue } from '@dingo/jobs';
import { DataSourceExtras, openMetadataDataSource, TypeOrmMetadataStore } from '@dingo/metadata-store';
import { MirrorAdapters } from '../mirror-adapters';
import { PullChunkJob } from '../pull/pull-chunk-job';
import { PullFileJob, PullSnapshotJob } from '../sync/repo-sync';

/** Embedded mode: SQLite metadata, chunks on local disk, in-process queues. No services needed. */
export async function createEmbeddedAdapters(
  config: DingoConfig,
  extras?: DataSourceExtras,
): Promise<MirrorAdapters> {
  // The data directory holds password and token hashes: owner only.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const ds = await openMetadataDataSource(config, extras);
  restrictSqliteFiles(config);
  const log = new Logger('PullQueue');
  const tiered = withColdTier(
    new FsChunkStore(join(config.dataDir, 'chunks')),
    config,
    (dir) => new FsChunkStore(dir),
  );
  return {
    meta: new TypeOrmMetadataStore(ds),
    store: withMemoryCache(tiered, config.memoryCacheBytes),
    tiers: hasTiers(tiered) ? tiered : undefined,
    pullChunk: new InProcessJobQueue<PullChunkJob>((err, job) =>
      log.warn(`pull-chunk ${job.plan.key}#${job.index} failed: ${(err as Error).message}`),
    ),
    pullFile: new InProcessJobQueue<PullFileJob>((err, job) =>
      log.warn(`pull-file ${job.repo.id}:${job.path} failed: ${(err as Error).message}`),
    ),
    pullSnapshot: new InProcessJobQueue<PullSnapshotJob>((err, job) =>
      log.warn(`pull-repo-snapshot ${job.repo.id}@${job.revision} failed: ${(err as Error).message}`),
    ),
    dataSource: ds,
    close: () => ds.destroy(),
  };
}

export function withMemoryCache(store: ChunkStore, bytes: number): ChunkStore {
  return bytes > 0 ? new MemoryCachedChunkStore(store, bytes) : store;
}

/** The hot store alone, or hot and cold tiers behind one store when a cold tier is configured. */
export function withColdTier(
  hot: ChunkStore,
  config: DingoConfig,
  coldStore: (location: string) => ChunkStore,
): ChunkStore {
  const location = config.mode === 'distributed' ? config.coldTier.s3Url : config.coldTier.dir;
  if (!location) return hot;
  return new TieredChunkStore(hot, coldStore(location), {
    minCompressionSaving: config.coldTier.minCompressionSaving,
    scratchDir: join(config.dataDir, 'staging'),
  });
}

/** SQLite creates its files with the umask's mode; they hold credentials' hashes: 0600. */
function restrictSqliteFiles(config: DingoConfig): void {
  if (config.database.type !== 'sqlite') return;
  const db = config.database.url ?? join(config.dataDir, 'metadata.sqlite');
  if (db === ':memory:') return;
  for (const file of [db, `${db}-wal`, `${db}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}
