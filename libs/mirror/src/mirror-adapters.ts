import type { DataSource } from 'typeorm';
import { ChunkStore, ChunkTiers } from '@dingo/chunk-store';
import { JobQueue } from '@dingo/jobs';
import { MetadataPort } from '@dingo/metadata-store';
import { ChunkLock } from './pull/chunk-puller';
import { PullChunkJob } from './pull/pull-chunk-job';
import { PullFileJob, PullSnapshotJob } from './sync/repo-sync';

/** The adapters a deployment chooses: embedded (SQLite, disk, in-process) or distributed. */
export interface MirrorAdapters {
  meta: MetadataPort;
  store: ChunkStore;
  /** The store's hot and cold tiers, when it has them (the storage policy moves chunks between them). */
  tiers?: ChunkTiers;
  /** Chunk pulls ahead of readers. */
  pullChunk: JobQueue<PullChunkJob>;
  /** Prefetch queues: whole files, and whole repo revisions. */
  pullFile: JobQueue<PullFileJob>;
  pullSnapshot: JobQueue<PullSnapshotJob>;
  /** Cluster-wide chunk lock (distributed mode). */
  lock?: ChunkLock;
  /** The TypeORM data source, where this process has one (access tables live there too). */
  dataSource?: DataSource;
  /** Releases what the adapters hold (connections, files). */
  close?: () => Promise<void>;
}

/** DI token under which an app provides the adapters it built (for its health checks and tests). */
export const MIRROR_ADAPTERS = Symbol('MirrorAdapters');
