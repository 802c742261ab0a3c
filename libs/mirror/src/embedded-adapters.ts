import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { DingoConfig } from '@dingo/config';
import { ChunkStore, FsChunkStore, MemoryCachedChunkStore } from '@dingo/chunk-store';
import { InProcessJobQueue } from '@dingo/jobs';
import { DataSourceExtras, openMetadataDataSource, TypeOrmMetadataStore } from '@dingo/metadata-store';
import { Logger } from '@nestjs/common';
import { ReadAheadJob } from './blob-reader';
import { Mirror, MirrorAdapters } from './mirror';
import { PullFileJob, PullSnapshotJob } from './repo-sync';

/** Embedded mode: SQLite metadata, chunks on local disk, an in-process queue. No services needed. */
export async function createEmbeddedMirror(config: DingoConfig, extras?: DataSourceExtras): Promise<Mirror> {
  const ds: DataSource = await openMetadataDataSource(config, extras);
  const log = new Logger('PullQueue');
  const adapters: MirrorAdapters = {
    meta: new TypeOrmMetadataStore(ds),
    store: withMemoryCache(new FsChunkStore(join(config.dataDir, 'chunks')), config.memoryCacheBytes),
    readAhead: new InProcessJobQueue<ReadAheadJob>((err, job) =>
      log.warn(`read-ahead ${job.plan.key}#${job.index} failed: ${(err as Error).message}`),
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
  return new Mirror(config, adapters);
}

export function withMemoryCache(store: ChunkStore, bytes: number): ChunkStore {
  return bytes > 0 ? new MemoryCachedChunkStore(store, bytes) : store;
}
