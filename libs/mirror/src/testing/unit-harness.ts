import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { InMemoryChunkStore } from '@dingo/chunk-store/testing';
import { JobHandler, JobOptions, JobQueue } from '@dingo/jobs';
import { InMemoryMetadataStore } from '@dingo/metadata-store/testing';
import { UpstreamRouter } from '@dingo/upstream';
import { FakeAnswer, FakeUpstream } from '@dingo/upstream/testing';
import { CachedRepoAccess } from '../access/cached-repo-access';
import { ApiProxy } from '../api/api-proxy';
import { LocalApiAnswers } from '../api/local-api-answers';
import { BlobLedger } from '../blobs/blob-ledger';
import { BlobPlan, chunkBounds, chunkCount } from '../blobs/blob-plan';
import { BlobVerifier } from '../blobs/blob-verifier';
import { BlockDigester, blockSizeFor } from '../blobs/block-digests';
import { FileDownloads } from '../download/file-downloads';
import { CommitManifests } from '../files/commit-manifests';
import { FileLocator } from '../files/file-locator';
import { LocatedFile } from '../files/located-file';
import { RevisionCache } from '../files/revision-cache';
import { ChunkPuller, ChunkPullerOptions } from '../pull/chunk-puller';
import { BlobSources } from '../pull/blob-sources';
import { PullChunkJob, pullChunkHandler } from '../pull/pull-chunk-job';
import { StagingArea } from '../pull/staging-area';
import { UpstreamFileReader } from '../pull/upstream-file-reader';
import { BlobReader } from '../read/blob-reader';
import { ByteSink } from '../read/byte-sink';
import { BlobUsage } from '../storage/blob-usage';
import { StorageLimits, StoragePolicy } from '../storage/storage-policy';

/**
 * The mirror's data-path services built on fakes at every port (in-memory metadata and chunk
 * store, a scripted upstream, a queue that only records), for unit tests: no server, no database.
 */

// The services log what they do (drops, retries): noise in unit tests.
Logger.overrideLogger(false);

export const HUB = 'https://hub.test';
export const COMMIT = 'c'.repeat(40);

/** A deterministic file of `size` bytes, and how the mirror locates it (an LFS file of o/m). */
export function lfsFile(size: number, path = 'model.bin', seed = 1): { bytes: Buffer; file: LocatedFile } {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 7) & 0xff;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return {
    bytes,
    file: {
      repo: { type: 'model', id: 'o/m' },
      commit: COMMIT,
      path,
      size,
      lfs: true,
      blobId: null,
      sha256,
      blobKey: `sha256-${sha256}`,
      via: 'known',
    },
  };
}

/** Answers a ranged GET of the file's resolve URL with exactly those bytes (206). */
export function rangeAnswer(bytes: Buffer, range: string | undefined): FakeAnswer {
  const m = /^bytes=(\d+)-(\d+)$/.exec(range ?? '');
  if (!m) return { status: 200, headers: { 'content-length': String(bytes.length) }, body: bytes };
  const [start, end] = [Number(m[1]), Math.min(Number(m[2]), bytes.length - 1)];
  return {
    status: 206,
    headers: { 'content-range': `bytes ${start}-${end}/${bytes.length}` },
    body: bytes.subarray(start, end + 1),
  };
}

/** A job queue that records what was added; it runs nothing unless given a handler. */
export class RecordingQueue<T> implements JobQueue<T> {
  readonly added: Array<{ data: T; opts?: JobOptions }> = [];
  private handler?: JobHandler<T>;
  async add(data: T, opts?: JobOptions): Promise<void> {
    this.added.push({ data, opts });
    void this.handler?.(data, { progress: async () => undefined }).catch(() => undefined);
  }
  process(handler: JobHandler<T>): void {
    this.handler = handler;
  }
  async depth() {
    return { waiting: this.added.length, active: 0 };
  }
  async close(): Promise<void> {
    return undefined;
  }
}

export interface CoreOptions {
  chunkSize: number;
  retries?: number;
  readAheadChunks?: number;
  lock?: ChunkPullerOptions['lock'];
  /** Bytes per piece the store serves (readers meet several buffers per chunk). */
  storePieceSize?: number;
  /** The store opens chunks for reads into buffers, as the S3 store does (InMemoryChunkStore.opened). */
  storeOpensFiles?: boolean;
  /** Upstream origins (default: HUB only); with several, `multiSource` splits blobs between them. */
  origins?: string[];
  multiSource?: boolean;
  /** Work stealing between pieces of a chunk (off unless given: exact ranges in most tests). */
  stealMinBytes?: number;
  /** Read-ahead jobs are run as a worker would (default: only recorded). */
  runReadAhead?: boolean;
  /** A storage policy poked by every chunk stored, as the mirror wires it (default: none). */
  storage?: Partial<StorageLimits>;
}

export function dataPathCore(options: CoreOptions) {
  const meta = new InMemoryMetadataStore();
  const store = new InMemoryChunkStore(options.storePieceSize ?? 7, { opensFiles: options.storeOpensFiles });
  const upstream = new FakeUpstream();
  const router = new UpstreamRouter(upstream, options.origins ?? [HUB]);
  const ledger = new BlobLedger(meta, store, options.chunkSize);
  const fileReader = new UpstreamFileReader(router);
  const sources = options.multiSource
    ? new BlobSources(router, fileReader, router.book, {
        enabled: true,
        checkTimeoutMs: 1_000,
        minPieceBytes: 1,
        stealMinBytes: options.stealMinBytes ?? 2 ** 30,
      })
    : undefined;
  const stagingDir = mkdtempSync(join(tmpdir(), 'mirror-unit-'));
  const staging = new StagingArea(stagingDir, 0);
  const verifier = new BlobVerifier(ledger, store, (plan) => sources?.distrust(plan.key));
  const stored: Array<[string, number]> = [];
  const usage = new BlobUsage(meta, 60_000);
  const storage =
    options.storage &&
    new StoragePolicy(meta, ledger, undefined, usage, {
      maxBytes: 0,
      hotTierBytes: 0,
      minFreeBytes: 0,
      dataDir: stagingDir,
      graceMs: 0,
      promoteAfterReads: 2,
      ...options.storage,
    });
  const puller = new ChunkPuller(ledger, store, staging, fileReader, {
    sources,
    retries: options.retries ?? 2,
    lock: options.lock,
    onChunkStored: (plan, index) => {
      stored.push([plan.key, index]);
      verifier.chunkStored(plan);
      storage?.landed(chunkBounds(plan, index).size);
    },
  });
  const readAhead = new RecordingQueue<PullChunkJob>();
  if (options.runReadAhead) readAhead.process(pullChunkHandler(puller, ledger));
  const reader = new BlobReader(ledger, store, puller, verifier, readAhead, usage, {
    readAheadChunks: options.readAheadChunks ?? 0,
    firstByteTimeoutMs: 5_000,
  });
  return {
    meta,
    store,
    upstream,
    router,
    ledger,
    staging,
    verifier,
    puller,
    sources,
    readAhead,
    usage,
    storage,
    reader,
    /** Chunks this puller stored, in order. */
    stored,
    /** Files left in the staging directory. */
    stagingFiles: () => readdirSync(stagingDir),
    /** Serves `bytes` as the file at every resolve URL (ranged GETs). */
    serve(bytes: Buffer) {
      upstream.answer((req) => rangeAnswer(bytes, req.headers?.range));
    },
    async close() {
      await puller.close();
      await verifier.idle();
      await storage?.stop();
      await usage.close();
      rmSync(stagingDir, { recursive: true, force: true });
    },
  };
}

/** Stores a blob's chunks as a completed pull would have (with block digests), verified. */
export async function seedBlob(
  core: Pick<ReturnType<typeof dataPathCore>, 'ledger' | 'store'>,
  file: LocatedFile,
  bytes: Buffer,
): Promise<BlobPlan> {
  const plan = await core.ledger.plan({ blobKey: file.blobKey, size: file.size });
  await seedChunks(core, plan, bytes, chunkCount(plan));
  await core.ledger.setState(plan.key, 'verified');
  return plan;
}

/** Stores and records the blob's first `count` chunks (with block digests), as a pull would have. */
export async function seedChunks(
  core: Pick<ReturnType<typeof dataPathCore>, 'ledger' | 'store'>,
  plan: BlobPlan,
  bytes: Buffer,
  count: number,
): Promise<void> {
  for (let index = 0; index < count; index++) {
    const { start, end } = chunkBounds(plan, index);
    const chunk = bytes.subarray(start, end + 1);
    core.store.put({ blob: plan.key, index }, chunk);
    const digester = new BlockDigester(blockSizeFor(plan.chunkSize));
    digester.update(chunk);
    await core.ledger.record({
      blobKey: plan.key,
      index,
      size: chunk.length,
      blockSize: digester.blockSize,
      blockDigests: digester.finish(),
    });
  }
}

/** A client socket in memory: a ByteSink over a Writable that keeps what it got. */
export function memorySink(): { sink: ByteSink; received: () => Buffer; headersSent: () => boolean } {
  const parts: Buffer[] = [];
  let headers = false;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      cb();
    },
  });
  return {
    sink: new ByteSink(out, () => (headers = true)),
    received: () => Buffer.concat(parts),
    headersSent: () => headers,
  };
}

/** Reads a stream to its end. */
export async function readAll(body: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of body) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

/** The metadata-side services (locator, API proxy) on fakes, with a clock tests can move. */
export function metadataCore(options: { revisionTtlMs?: number; xetMode?: 'http' | 'serve' } = {}) {
  const ttl = options.revisionTtlMs ?? 60_000;
  const meta = new InMemoryMetadataStore();
  const upstream = new FakeUpstream();
  const router = new UpstreamRouter(upstream, [HUB]);
  const access = new CachedRepoAccess(meta, 60_000, 3_600_000);
  const revisions = new RevisionCache(meta, ttl);
  const manifests = new CommitManifests(meta, router);
  const locator = new FileLocator(meta, router, access, manifests, revisions);
  const xetMode = options.xetMode ?? 'http';
  const api = new ApiProxy(
    meta,
    router,
    access,
    manifests,
    new LocalApiAnswers(revisions, manifests, access, xetMode),
    revisions,
    { ttlMs: ttl, xetMode },
  );
  return { meta, upstream, router, access, revisions, manifests, locator, api };
}

/** The whole resolve path on fakes: locator, ledger, reader and FileDownloads over one metadata store and upstream. */
export function resolveCore(options: CoreOptions) {
  const data = dataPathCore(options);
  const access = new CachedRepoAccess(data.meta, 60_000, 3_600_000);
  const revisions = new RevisionCache(data.meta, 60_000);
  const manifests = new CommitManifests(data.meta, data.router);
  const locator = new FileLocator(data.meta, data.router, access, manifests, revisions);
  const downloads = new FileDownloads(locator, data.ledger, data.reader);
  return { ...data, access, locator, downloads };
}
