import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { DingoConfig } from '@dingo/config';
import { ChunkStore } from '@dingo/chunk-store';
import { JobQueue } from '@dingo/jobs';
import { MetadataPort } from '@dingo/metadata-store';
import { UpstreamHttp, UpstreamRouter } from '@dingo/upstream';
import { RateLimiter } from '@dingo/concurrency';
import type { DataSource } from 'typeorm';
import { AccessVerdicts } from './access-verdicts';
import { ApiProxy } from './api-proxy';
import { BlobReader, ReadAheadJob, readAheadWorker } from './blob-reader';
import { BlobVerifier } from './blob-verifier';
import { ChunkLock, ChunkPuller } from './chunk-puller';
import { FileLocator } from './file-locator';
import { ResolveService } from './resolve-service';
import { PullFileJob, PullSnapshotJob, RepoSync } from './repo-sync';
import { UpstreamFileReader } from './upstream-file-reader';

/** The adapters a deployment chooses: embedded (SQLite, disk, in-process) or distributed. */
export interface MirrorAdapters {
  meta: MetadataPort;
  store: ChunkStore;
  readAhead: JobQueue<ReadAheadJob>;
  /** Prefetch queues: whole files, and whole repo revisions. */
  pullFile: JobQueue<PullFileJob>;
  pullSnapshot: JobQueue<PullSnapshotJob>;
  /** Cluster-wide chunk lock (distributed mode). */
  lock?: ChunkLock;
  /** Whether this process works the pull queues (false on a distributed gateway: the sync-worker does). */
  processJobs?: boolean;
  /** The TypeORM data source, where this process has one (access tables live there too). */
  dataSource?: DataSource;
  /** Releases what the adapters hold (connections, files). */
  close?: () => Promise<void>;
}

/** Every service of the mirror, wired once from config and adapters. */
export class Mirror {
  private readonly log = new Logger(Mirror.name);
  readonly http: UpstreamHttp;
  readonly router: UpstreamRouter;
  readonly access: AccessVerdicts;
  readonly locator: FileLocator;
  readonly puller: ChunkPuller;
  readonly verifier: BlobVerifier;
  readonly reader: BlobReader;
  readonly resolve: ResolveService;
  readonly api: ApiProxy;
  readonly sync: RepoSync;

  constructor(
    readonly config: DingoConfig,
    readonly adapters: MirrorAdapters,
  ) {
    const { meta, store, readAhead } = adapters;
    this.http = new UpstreamHttp(config.upstreamTimeoutMs);
    this.router = new UpstreamRouter(this.http, config.upstreams);
    this.access = new AccessVerdicts(
      meta,
      config.authVerdictTtlSeconds * 1000,
      config.offlineVerdictGraceSeconds * 1000,
    );
    this.locator = new FileLocator(meta, this.router, this.access, config.revisionTtlSeconds * 1000);
    this.verifier = new BlobVerifier(store, meta);
    this.puller = new ChunkPuller(store, meta, new UpstreamFileReader(this.router), {
      stagingDir: join(config.dataDir, 'staging'),
      retries: config.upstreamRetries,
      lock: adapters.lock,
      lockTtlMs: config.clusterLockTtlMs,
      limiter: new RateLimiter(config.maxBandwidthBytesPerSec),
      onChunkStored: (plan) =>
        void this.verifier
          .verifyIfComplete(plan)
          .catch((err) =>
            this.log.error(`verification of ${plan.key} failed to run: ${(err as Error).message}`),
          ),
    });
    this.reader = new BlobReader(
      store,
      meta,
      this.puller,
      readAhead,
      config.readAheadChunks,
      config.verifyChunksOnRead,
    );
    this.resolve = new ResolveService(this.locator, meta, this.reader, config.chunkSizeBytes);
    this.api = new ApiProxy(meta, this.router, this.access, config.revisionTtlSeconds * 1000);
    this.sync = new RepoSync(
      this.locator,
      this.resolve,
      this.puller,
      store,
      meta,
      this.api,
      adapters.pullFile,
    );
    if (adapters.processJobs !== false) {
      readAhead.process(readAheadWorker(this.puller, store, meta), config.maxConcurrentPulls);
      adapters.pullFile.process(
        (job, ctx) => this.sync.pullFile(job, ctx),
        Math.max(1, Math.floor(config.maxConcurrentPulls / 4)),
      );
      adapters.pullSnapshot.process((job, ctx) => this.sync.pullSnapshot(job, ctx), 1);
    }
  }

  private closing?: Promise<void>;

  /** Stops queued work, aborts pulls, then releases connections; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.adapters.readAhead.close();
    await this.adapters.pullFile.close();
    await this.adapters.pullSnapshot.close();
    await this.puller.close();
    await this.verifier.idle();
    await this.http.close();
    await this.adapters.close?.();
  }
}
