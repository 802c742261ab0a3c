import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { DingoConfig } from '@dingo/config';
import { RateLimiter, growingLru } from '@dingo/concurrency';
import { HubError, RepoRef, ResolveRoute } from '@dingo/hub-protocol';
import { JobHandler, PRIORITY } from '@dingo/jobs';
import { modelScopeSource } from '@dingo/modelscope';
import { statfsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { BlobKey, MemoryCachedChunkStore } from '@dingo/chunk-store';
import { countedMetadataPort } from '@dingo/metadata-store';
import {
  ChunkSource,
  UpstreamAddressPolicy,
  UpstreamHttp,
  OriginReport,
  UpstreamObserver,
  UpstreamRequest,
  UpstreamResponse,
  UpstreamRouter,
} from '@dingo/upstream';
import { CachedRepoAccess } from './access/cached-repo-access';
import { ApiAnswer, ApiProxy, ApiRequest } from './api/api-proxy';
import { LocalApiAnswers } from './api/local-api-answers';
import { BlobIngest, ExpectedBlob } from './blobs/blob-ingest';
import { BlobLedger } from './blobs/blob-ledger';
import { chunkBounds } from './blobs/blob-plan';
import { BlobScrubber } from './blobs/blob-scrubber';
import { BlobVerifier } from './blobs/blob-verifier';
import { CachedElsewhere, FileDownload, FileDownloads } from './download/file-downloads';
import { CommitManifests } from './files/commit-manifests';
import { FileLocator } from './files/file-locator';
import { RevisionCache } from './files/revision-cache';
import { HostedSlot, HostedSource } from './hosted/hosted-source';
import { MirrorAdapters } from './mirror-adapters';
import { ChunkPuller } from './pull/chunk-puller';
import { PullChunkJob, pullChunkHandler } from './pull/pull-chunk-job';
import { BlobSource, BlobSources, ChunkSourceBlobSource } from './pull/blob-sources';
import { StagingArea } from './pull/staging-area';
import { UpstreamFileReader } from './pull/upstream-file-reader';
import { ChunkPeers, PeerStats } from './pull/chunk-peers';
import { readCheckedChunk } from './read/block-checked-stream';
import { BlobReader } from './read/blob-reader';
import { BlobUsage } from './storage/blob-usage';
import { RetainedBlobs, StoragePolicy } from './storage/storage-policy';
import { PullFileJob, PullSnapshotJob, RepoSync } from './sync/repo-sync';
import { LocalListings, RepoObserver } from './repo-observer';
import { createHash } from 'node:crypto';

/** What the process that works the pull queues registers (the embedded gateway, or a sync-worker). */
export interface MirrorJobHandlers {
  pullChunk: JobHandler<PullChunkJob>;
  pullFile: JobHandler<PullFileJob>;
  pullSnapshot: JobHandler<PullSnapshotJob>;
}

export type QueueName = 'pull-chunk' | 'pull-file' | 'pull-repo-snapshot';

export interface MirrorStats {
  upstreamBytes: number;
  chunksPulled: number;
  pullRetries: number;
  pullsInFlight: number;
  verificationFailures: number;
  blockMismatches: number;
  memoryCache?: { hits: number; misses: number };
  scrub: BlobScrubber['stats'];
  storage: StoragePolicy['stats'];
  /** Jobs this process finished, per queue and outcome. */
  jobs: Record<string, { completed: number; failed: number }>;
  origins: ReturnType<UpstreamRouter['health']>;
  extraSources: OriginReport[];
  offline: boolean;
  /** File bytes pulled per source in multi-source pulls. */
  bytesBySource: Record<string, number>;
  /** Metadata port calls per method. */
  metadataCalls: Record<string, number>;
}

/**
 * The mirror as the Hub surface, the admin API and the apps see it: one façade over the services
 * that locate files, pull and verify their chunks, stream them, and answer the Hub API. It is
 * built from adapters chosen by the app (embedded or distributed) and wires nothing else: the app
 * that works the pull queues registers `jobs` on them.
 */
export class Mirror {
  readonly jobs: MirrorJobHandlers;
  private readonly http: UpstreamHttp;
  private readonly router: UpstreamRouter;
  private readonly access: CachedRepoAccess;
  private readonly ledger: BlobLedger;
  private readonly staging: StagingArea;
  private readonly puller: ChunkPuller;
  private readonly verifier: BlobVerifier;
  private readonly scrubber: BlobScrubber;
  private readonly usage: BlobUsage;
  private readonly storage: StoragePolicy;
  private readonly downloads: FileDownloads;
  private readonly reader: BlobReader;
  private readonly api: ApiProxy;
  private readonly locator: FileLocator;
  private readonly revisions: RevisionCache;
  private readonly sync: RepoSync;
  private readonly hosted = new HostedSlot();
  private readonly ingest: BlobIngest;
  /** Sources of file bytes besides the hub origins (ModelScope when configured). */
  readonly extraSources: ChunkSource[];
  private readonly sources: BlobSources;
  private readonly log = new Logger('Mirror');
  /** Metadata port calls per method by the services below (metrics: metadata work per chunk). */
  private readonly metadataCalls = new Map<string, number>();

  constructor(
    readonly config: DingoConfig,
    private readonly adapters: MirrorAdapters,
  ) {
    const { store } = adapters;
    const meta = countedMetadataPort(adapters.meta, this.metadataCalls).port;
    this.http = new UpstreamHttp({
      timeoutMs: config.upstreamTimeoutMs,
      // A configured ModelScope endpoint is trusted like a configured hub; its redirects are checked.
      policy: new UpstreamAddressPolicy(
        [...config.upstreams, ...(config.modelscope.url ? [config.modelscope.url] : [])],
        config.upstreamAllowPrivate,
      ),
    });
    this.router = new UpstreamRouter(this.http, config.upstreams, {
      switchThresholdMs: config.switchThresholdMs,
    });
    this.router.observe({
      answered: () => undefined,
      failed: () => undefined,
      switched: (from, to, why) => this.log.warn(`upstream switched from ${from} to ${to}: ${why}`),
    });
    // With one origin there is nothing to choose between: a down origin is retried by requests anyway.
    if (config.upstreams.length > 1)
      this.router.startProbing(config.probeIntervalSeconds * 1000, config.probePath);
    this.access = new CachedRepoAccess(
      meta,
      config.authVerdictTtlSeconds * 1000,
      config.offlineVerdictGraceSeconds * 1000,
    );
    const revisions = (this.revisions = new RevisionCache(meta, config.revisionTtlSeconds * 1000));
    const manifests = new CommitManifests(meta, this.router);
    this.extraSources = config.modelscope.url ? [modelScopeSource(config.modelscope, this.http)] : [];
    const locator = (this.locator = new FileLocator(
      meta,
      this.router,
      this.access,
      manifests,
      revisions,
      this.hosted,
      this.extraSources,
    ));
    const ledger = (this.ledger = new BlobLedger(meta, store, config.chunkSizeBytes));
    const fileReader = new UpstreamFileReader(this.router, undefined, this.extraSources);
    this.sources = new BlobSources(this.router, fileReader, this.router.book, {
      enabled: config.multiSource,
      checkTimeoutMs: Math.min(config.upstreamTimeoutMs, 5_000),
    });
    if (config.modelscope.parallel)
      for (const extra of this.extraSources) this.sources.addSource(new ChunkSourceBlobSource(extra));
    this.verifier = new BlobVerifier(ledger, store, (plan) => this.sources.distrust(plan.key));
    this.usage = new BlobUsage(meta);
    this.storage = new StoragePolicy(meta, ledger, adapters.tiers, this.usage, {
      maxBytes: config.maxCacheBytes,
      hotTierBytes: config.coldTier.hotBytes,
      minFreeBytes: config.minFreeBytes,
      dataDir: config.dataDir,
      graceMs: config.evictionGraceSeconds * 1000,
      promoteAfterReads: config.coldTier.promoteAfterReads,
    });
    this.staging = new StagingArea(join(config.dataDir, 'staging'), config.minFreeBytes);
    this.staging.removeStale();
    this.puller = new ChunkPuller(ledger, store, this.staging, fileReader, {
      sources: this.sources,
      retries: config.upstreamRetries,
      lock: adapters.lock,
      lockTtlMs: config.clusterLockTtlMs,
      limiter: new RateLimiter(config.maxBandwidthBytesPerSec),
      onChunkStored: (plan, index) => {
        this.verifier.chunkStored(plan);
        this.storage.landed(chunkBounds(plan, index).size);
      },
    });
    const reader = (this.reader = new BlobReader(
      ledger,
      store,
      this.puller,
      this.verifier,
      adapters.pullChunk,
      this.usage,
      {
        readAheadChunks: config.readAheadChunks,
        firstByteTimeoutMs: config.upstreamTimeoutMs,
      },
    ));
    this.downloads = new FileDownloads(locator, ledger, reader);
    // With the hub down, a HEAD promises a file another source holds (a GET will pull it from there).
    for (const extra of this.extraSources)
      this.downloads.addCachedElsewhere(async (file) =>
        file.via === 'offline' ? extra.covers(file).catch(() => false) : false,
      );
    this.api = new ApiProxy(
      meta,
      this.router,
      this.access,
      manifests,
      new LocalApiAnswers(revisions, manifests, this.access, config.xet.mode),
      revisions,
      { ttlMs: config.revisionTtlSeconds * 1000, xetMode: config.xet.mode },
      this.hosted,
    );
    this.ingest = new BlobIngest(ledger, store, this.staging);
    this.sync = new RepoSync(locator, ledger, this.puller, this.api, adapters.pullFile);
    this.scrubber = new BlobScrubber(meta, ledger, store, {
      bytesPerSecond: config.scrubBytesPerSec,
      pauseMs: config.scrubPauseSeconds * 1000,
    });
    this.jobs = {
      pullChunk: pullChunkHandler(this.puller, ledger),
      pullFile: (job, ctx) => this.sync.pullFile(job, ctx),
      pullSnapshot: (job, ctx) => this.sync.pullSnapshot(job, ctx),
    };
  }

  /** `HEAD`/`GET …/resolve/…`: headers decided, body ready to stream. */
  prepareDownload(
    route: ResolveRoute,
    opts: { authorization?: string; range?: string; head: boolean },
  ): Promise<FileDownload> {
    return this.downloads.prepare(route, opts);
  }

  /** Another store that may hold whole files (a HEAD while upstream is down asks it too). */
  addCachedElsewhere(source: CachedElsewhere): void {
    this.downloads.addCachedElsewhere(source);
  }

  /** The Hub API (info, tree, paths-info, listings, …), through the cache. */
  callApi(req: ApiRequest): Promise<ApiAnswer> {
    return this.api.handle(req);
  }

  /** Tells `observer` the repo info answers and the file downloads the mirror handles (the catalogue). */
  observeRepos(observer: RepoObserver): void {
    this.api.observe(observer);
    this.downloads.observe(observer);
  }

  /** `/api/models` and `/api/datasets` answered from `listings` offline, or when the caller asks. */
  serveListingsLocally(listings: LocalListings): void {
    this.api.serveListingsLocally(listings);
  }

  queueFilePull(job: PullFileJob, jobId: string): Promise<void> {
    return this.adapters.pullFile.add(job, { priority: PRIORITY.prefetch, jobId });
  }

  queueSnapshotPull(job: PullSnapshotJob, jobId: string): Promise<void> {
    return this.adapters.pullSnapshot.add(job, { priority: PRIORITY.prefetch, jobId });
  }

  /**
   * Requests to upstream with the mirror's routing, failover and address policy (relative URLs go
   * to the chosen hub, absolute ones as they are): for features with their own upstream protocol.
   */
  sendUpstream(req: UpstreamRequest): Promise<UpstreamResponse> {
    return this.router.send(req);
  }

  /** While upstream is unreachable: may this caller read the repo, by the verdicts the mirror kept? */
  async offlineVerdict(
    repo: RepoRef,
    authorization: string | undefined,
  ): Promise<'allow' | 'deny' | 'unknown'> {
    try {
      return (await this.access.admits(repo, authorization, { why: 'upstream unreachable' }))
        ? 'allow'
        : 'unknown';
    } catch (err) {
      return err instanceof HubError && err.code === 'UpstreamUnavailable' ? 'unknown' : 'deny';
    }
  }

  /** Whether cached content of `repo` may be served to this caller now (same rule as downloads). */
  async mayServeCached(repo: RepoRef, authorization: string | undefined): Promise<boolean> {
    try {
      return await this.access.admits(repo, authorization, false);
    } catch {
      return false;
    }
  }

  /** Nodes to ask for a chunk before upstream (an edge's LAN peers, libs/edge-peers). */
  useChunkPeers(peers: ChunkPeers): void {
    this.puller.peers = peers;
  }

  /** Chunks that came from peers, and peers' copies rejected or broken off. */
  peerStats(): PeerStats {
    return { ...this.puller.peerStats };
  }

  /**
   * A stored chunk for another node (a LAN peer), block-checked as it is read; undefined when the
   * chunk is not stored or the blob is cut into chunks of another size than the asker's.
   */
  async sharedChunk(
    blobKey: BlobKey,
    index: number,
    chunkSize: number,
  ): Promise<{ size: number; body: Readable } | undefined> {
    const blob = await this.adapters.meta.getBlob(blobKey);
    if (!blob || blob.chunkSize !== chunkSize || blob.state === 'corrupt') return undefined;
    const record = await this.ledger.stored({ blob: blobKey, index });
    if (!record) return undefined;
    return {
      size: record.size,
      body: await readCheckedChunk(this.adapters.store, record, 0, record.size - 1),
    };
  }

  /** Indexes of a blob's stored chunks (what this node can share), with its chunk size. */
  async sharedChunks(blobKey: BlobKey): Promise<{ chunkSize: number; indexes: number[] } | undefined> {
    const blob = await this.adapters.meta.getBlob(blobKey);
    if (!blob) return undefined;
    const indexes = [...(await this.ledger.recordedIndexes(blobKey))].sort((a, b) => a - b);
    return { chunkSize: blob.chunkSize, indexes };
  }

  private readonly chunkHashes = growingLru<string, string>(4_096);

  /**
   * The sha256 of a stored chunk (the trust anchor edges check peers' copies against: a copy that
   * matches is the very bytes this mirror would serve); undefined unless the chunk is stored and
   * the blob is cut into chunks of `chunkSize`. Remembered only once the blob is verified (a chunk
   * of an unverified blob may still be purged and pulled anew).
   */
  async chunkSha256(blobKey: BlobKey, index: number, chunkSize: number): Promise<string | undefined> {
    const name = `${blobKey}#${index}@${chunkSize}`;
    const known = this.chunkHashes.get(name);
    if (known) return known;
    const chunk = await this.sharedChunk(blobKey, index, chunkSize);
    if (!chunk) return undefined;
    const hash = createHash('sha256');
    for await (const part of chunk.body as AsyncIterable<Buffer>) hash.update(part);
    const sha = hash.digest('hex');
    if (await this.ledger.isVerified(blobKey)) this.chunkHashes.set(name, sha);
    return sha;
  }

  /**
   * An admin removed a cached repo's records from the store: its records kept in memory go too, so
   * the next request asks again and records anew (other nodes re-read theirs within a minute).
   */
  forgetRepo(repo: RepoRef): void {
    this.locator.forgetRepo(repo);
    this.revisions.forgetRepo(repo);
    this.api.forgetRepo(repo);
  }

  /** Deletes a blob's chunks (an admin removed every cached repo that used it). */
  forgetBlob(blobKey: string): Promise<void> {
    return this.ledger.forgetBlob(blobKey);
  }

  /**
   * Background care of the store, in the process that works the jobs: the scrub re-checks stored
   * chunks, the storage policy keeps the quota, the free-space floor and the tiers.
   */
  startHousekeeping(): void {
    this.scrubber.start();
    this.storage.start(this.config.storageCheckSeconds * 1000);
  }

  /** Repos hosted on the mirror (libs/hosted): files and API reads of the repos it owns come from it alone. */
  useHostedSource(source: HostedSource): void {
    this.hosted.use(source);
  }

  /**
   * A hosted repo's main branch moved (its info is read once, so observers such as the catalogue
   * index it like a cached repo) or the repo was deleted (observers forget it). Never throws.
   */
  hostedRepoChanged(repo: RepoRef, change: 'updated' | 'deleted'): void {
    if (change === 'deleted') return this.api.repoRemoved(repo);
    void this.api
      .handle({
        method: 'GET',
        url: `/api/${repo.type}s/${repo.id}`,
        route: { repo, action: { kind: 'info' } },
        publicBase: '',
      })
      .catch((err) => this.log.debug(`info of ${repo.type} ${repo.id} not read: ${(err as Error).message}`));
  }

  /** Streams a pushed blob into the chunk store; stored and verified only if size and hash match. */
  storeBlob(expected: ExpectedBlob, body: Readable): Promise<BlobKey> {
    return this.ingest.ingest(expected, body);
  }

  /** The size of a blob stored complete and verified; undefined otherwise (an LFS upload is still needed). */
  async verifiedBlobSize(blobKey: BlobKey): Promise<number | undefined> {
    if (!(await this.ledger.isVerified(blobKey))) return undefined;
    return (await this.adapters.meta.getBlob(blobKey))?.size;
  }

  /** Blobs the storage policy must never evict, besides pinned repos' (hosted repos'). */
  retainBlobs(source: RetainedBlobs): void {
    this.storage.retain(source);
  }

  /** Runs a storage round now (an admin asked for eviction); resolves when it is done. */
  async enforceStorage(): Promise<StoragePolicy['stats']> {
    await this.storage.enforce();
    return this.storage.stats;
  }

  /** Pinned repos are never evicted. */
  readonly pins = {
    list: () => this.adapters.meta.listPins(),
    add: (repo: RepoRef, by: string | null) =>
      this.adapters.meta.putPin({ repoType: repo.type, repoId: repo.id, pinnedAt: Date.now(), pinnedBy: by }),
    remove: (repo: RepoRef) => this.adapters.meta.deletePin(repo.type, repo.id),
  };

  /** Stored bytes and chunks per tier. */
  storageUsage() {
    return this.adapters.meta.storageUsage();
  }

  /** Liveness probes of what the mirror cannot work without. */
  healthChecks(): Record<string, () => Promise<unknown>> {
    return {
      metadata: () => this.adapters.meta.ping(),
      chunkStore: () => this.adapters.store.ping(),
    };
  }

  private readonly jobOutcomes = new Map<string, { completed: number; failed: number }>();

  /** A worker of this process finished a job (counted for metrics). */
  countJob(queue: QueueName, outcome: 'completed' | 'failed'): void {
    const counts = this.jobOutcomes.get(queue) ?? { completed: 0, failed: 0 };
    counts[outcome]++;
    this.jobOutcomes.set(queue, counts);
  }

  /** Every upstream exchange, for metrics. */
  observeUpstream(observer: UpstreamObserver): void {
    this.router.observe(observer);
  }

  /** Jobs waiting and running per queue (the backlog, cluster-wide in distributed mode). */
  async queueDepths(): Promise<Record<QueueName, { waiting: number; active: number }>> {
    const { pullChunk, pullFile, pullSnapshot } = this.adapters;
    return {
      'pull-chunk': await pullChunk.depth(),
      'pull-file': await pullFile.depth(),
      'pull-repo-snapshot': await pullSnapshot.depth(),
    };
  }

  /** The data directory's file system: bytes free and in all. */
  dataDisk(): { freeBytes: number; sizeBytes: number } {
    const st = statfsSync(this.config.dataDir);
    return { freeBytes: st.bavail * st.bsize, sizeBytes: st.blocks * st.bsize };
  }

  upstreamHealth(): {
    offline: boolean;
    origins: ReturnType<UpstreamRouter['health']>;
    extraSources: OriginReport[];
  } {
    const extra = this.sources.ids.filter((id) => !this.router.origins.includes(id));
    return {
      offline: this.router.offline,
      origins: this.router.health(),
      extraSources: this.router.book.snapshot(extra),
    };
  }

  /**
   * Another source of blob bytes besides the upstream hubs (e.g. ModelScope): chunks of a blob it
   * confirms are pulled from it too, in parallel, by throughput; its trouble is in the origin book.
   */
  addBlobSource(source: BlobSource): void {
    this.sources.addSource(source);
  }

  stats(): MirrorStats {
    const { upstreamBytes, chunksPulled, retries, bytesBySource } = this.puller.stats;
    return {
      bytesBySource: { ...bytesBySource },
      upstreamBytes,
      chunksPulled,
      pullRetries: retries,
      pullsInFlight: this.puller.inflightCount,
      verificationFailures: this.verifier.failures,
      blockMismatches: this.reader.blockMismatches,
      memoryCache:
        this.adapters.store instanceof MemoryCachedChunkStore
          ? { hits: this.adapters.store.hits, misses: this.adapters.store.misses }
          : undefined,
      scrub: this.scrubber.stats,
      storage: this.storage.stats,
      jobs: Object.fromEntries(this.jobOutcomes),
      metadataCalls: Object.fromEntries(this.metadataCalls),
      ...this.upstreamHealth(),
    };
  }

  private closing?: Promise<void>;

  /** Stops queued work, aborts pulls, then releases connections; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.router.stopProbing();
    await this.scrubber.stop();
    await this.storage.stop();
    // In parallel: each queue may give its running jobs a grace period.
    await Promise.all([
      this.adapters.pullChunk.close(),
      this.adapters.pullFile.close(),
      this.adapters.pullSnapshot.close(),
    ]);
    await this.puller.close();
    await this.verifier.idle();
    await this.usage.close();
    await this.http.close();
    await this.adapters.close?.();
  }
}
