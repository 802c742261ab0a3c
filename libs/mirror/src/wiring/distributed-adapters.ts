import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DingoConfig, redisOptionsFromUrl } from '@dingo/config';
import { RedisLock } from '@dingo/concurrency';
import { hasTiers, S3ChunkStore } from '@dingo/chunk-store';
import { BullMqJobQueue } from '@dingo/jobs';
import { DataSourceExtras, metadataDataSourceOptions, RemoteMetadataStore } from '@dingo/metadata-store';
import { MirrorAdapters } from '../mirror-adapters';
import { PULL_CHUNK_QUEUE, PullChunkJob } from '../pull/pull-chunk-job';
import { PULL_FILE_QUEUE, PULL_SNAPSHOT_QUEUE, PullFileJob, PullSnapshotJob } from '../sync/repo-sync';
import { createEmbeddedAdapters, withColdTier, withMemoryCache } from './embedded-adapters';

export interface DistributedRole {
  /** `gateway` produces pull jobs; `worker` consumes them. */
  role: 'gateway' | 'worker';
  /** Entities a gateway reads directly on MySQL (access tables); migrations are the metadata app's. */
  extras?: DataSourceExtras;
}

/**
 * Distributed mode: metadata over the Redis transport (the metadata app owns MySQL), chunks in
 * S3/MinIO, pulls on BullMQ, and a Redis lock so one node in the cluster pulls each chunk.
 */
export async function createDistributedAdapters(
  config: DingoConfig,
  { role, extras }: DistributedRole,
): Promise<MirrorAdapters> {
  const redisUrl = config.redisUrl!;
  const ns = config.namespace;
  const log = new Logger('PullQueue');
  // Without retryAttempts Nest's Redis client gives up after the first disconnect.
  const meta = RemoteMetadataStore.connect(
    { ...redisOptionsFromUrl(redisUrl), retryAttempts: Number.MAX_SAFE_INTEGER, retryDelay: 500 },
    { namespace: ns },
  );
  const lock = new RedisLock(redisUrl, { prefix: `${ns}:lock:` });
  const queue = <T>(name: string, describe: (job: T) => string) =>
    new BullMqJobQueue<T>(name, {
      connection: redisUrl,
      prefix: `${ns}:bull`,
      onError: (err, job) => log.warn(`${name} ${job ? describe(job) : 'queue'}: ${(err as Error).message}`),
    });
  const pullChunk = queue<PullChunkJob>(PULL_CHUNK_QUEUE, (j) => `${j.plan.key}#${j.index}`);
  let dataSource: DataSource | undefined;
  if (role === 'gateway' && extras?.entities) {
    dataSource = new DataSource({ ...metadataDataSourceOptions(config, extras), migrationsRun: false });
    await dataSource.initialize();
  }
  const tiered = withColdTier(S3ChunkStore.fromUrl(config.s3Url!), config, (url) =>
    S3ChunkStore.fromUrl(url),
  );
  return {
    meta,
    store: withMemoryCache(tiered, config.memoryCacheBytes),
    tiers: hasTiers(tiered) ? tiered : undefined,
    pullChunk,
    pullFile: queue<PullFileJob>(PULL_FILE_QUEUE, (j) => `${j.repo.id}:${j.path}`),
    pullSnapshot: queue<PullSnapshotJob>(PULL_SNAPSHOT_QUEUE, (j) => `${j.repo.id}@${j.revision}`),
    lock,
    dataSource,
    close: async () => {
      await lock.close();
      await meta.close();
      await dataSource?.destroy();
    },
  };
}

/** The adapters for this process's mode. */
export function createMirrorAdapters(config: DingoConfig, options: DistributedRole): Promise<MirrorAdapters> {
  if (config.mode === 'distributed') return createDistributedAdapters(config, options);
  return createEmbeddedAdapters(config, options.extras);
}
