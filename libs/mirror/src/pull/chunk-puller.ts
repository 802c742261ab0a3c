import { closeSync, openSync, read, write } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setMaxListeners } from 'node:events';
import { promisify } from 'node:util';
import { Logger } from '@nestjs/common';
import { GrowingFile, RateLimiter, growingLru } from '@dingo/concurrency';
import { ChunkId, ChunkStore } from '@dingo/chunk-store';
import { UpstreamRefusedError } from '@dingo/upstream';
import { BlobLedger } from '../blobs/blob-ledger';
import { BlobPlan, chunkBounds } from '../blobs/blob-plan';
import { BlockDigester, blockSizeFor } from '../blobs/block-digests';
import { FileSource } from '../files/located-file';
import { ChunkPeers, fillFromPeers, PeerStats } from './chunk-peers';
import { BlobSource, BlobSources, ChunkPiece } from './blob-sources';
import { StagingArea } from './staging-area';
import { UpstreamFileError, UpstreamFileReader } from './upstream-file-reader';
import { WriteBatch } from './write-batch';

export interface PullStats {
  upstreamBytes: number;
  chunksPulled: number;
  retries: number;
  /** File bytes pulled, per source (multi-source pulls; the rest went through the router). */
  bytesBySource: Record<string, number>;
}

/** The cross-node half of single-flight (RedisLock in distributed mode). */
export interface ChunkLock {
  acquire(key: string, ttlMs: number): Promise<string | undefined>;
  renew(key: string, token: string, ttlMs: number): Promise<boolean>;
  release(key: string, token: string): Promise<boolean>;
  /** Resolves when the key is free (true) or on timeout (false). */
  waitFor(key: string, timeoutMs: number): Promise<boolean>;
}

export interface ChunkPullerOptions {
  retries: number;
  /** Told of every chunk this process stored (the verifier hashes blobs as their chunks land). */
  onChunkStored: (plan: BlobPlan, index: number) => void;
  /** Shared across the cluster so one node pulls a chunk while the others wait for it. */
  lock?: ChunkLock;
  lockTtlMs?: number;
  /** Caps upstream bytes per second across this process. */
  limiter?: RateLimiter;
  /** Several sources of one blob: chunks are split between them (absent: all through the reader). */
  sources?: BlobSources;
}

/** One chunk on its way from upstream: readers follow `file`; `done` settles once it is stored. */
export interface ChunkDownload {
  file: GrowingFile;
  done: Promise<void>;
}

/**
 * Pulls chunks from upstream into the chunk store, one download per chunk however many callers
 * ask (single-flight). A broken connection resumes from the last byte written; the chunk is
 * stored, and recorded with its block digests, only when complete.
 */
export class ChunkPuller {
  private readonly log = new Logger(ChunkPuller.name);
  private readonly inflight = new Map<string, ChunkDownload>();
  /**
   * Downloads that finished lately. A reader that looked in the ledger just before a chunk was
   * recorded finds it here instead of pulling the same bytes again.
   */
  private readonly recent = growingLru<string, ChunkDownload>(4096, { ttl: 60_000 });
  private readonly stopping = new AbortController();
  readonly stats: PullStats = { upstreamBytes: 0, chunksPulled: 0, retries: 0, bytesBySource: {} };
  readonly peerStats: PeerStats = { peerBytes: 0, peerChunks: 0, peerRejections: 0, peerFailures: 0 };
  /** Nodes asked for a chunk before upstream (an edge's LAN peers); none by default. */
  peers?: ChunkPeers;

  constructor(
    private readonly ledger: BlobLedger,
    private readonly store: ChunkStore,
    private readonly staging: StagingArea,
    private readonly reader: UpstreamFileReader,
    private readonly options: ChunkPullerOptions,
  ) {
    // A chunk dropped from the ledger must be pulled again, not found among recent downloads.
    ledger.onDrop((id) => this.recent.delete(`${id.blob}#${id.index}`));
    // Every upstream request listens for shutdown; a busy puller has many at once.
    setMaxListeners(0, this.stopping.signal);
  }

  /** The running download for a chunk, if any (synchronous so callers can attach before it commits). */
  active(id: ChunkId): ChunkDownload | undefined {
    return live(this.inflight.get(`${id.blob}#${id.index}`));
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Starts (or joins) the download of a chunk. Throws (507) when the disk is at its floor. */
  pull(plan: BlobPlan, index: number, source: FileSource): ChunkDownload {
    const key = `${plan.key}#${index}`;
    // A failed download stays visible until its staging file is removed; never hand it out again.
    const running = live(this.inflight.get(key)) ?? this.recent.get(key);
    if (running) return running;
    const { size } = chunkBounds(plan, index);
    const path = this.staging.pathFor(plan.key, index, size);
    // Created synchronously so readers can open it the moment the download is visible.
    const fd = openSync(path, 'w+', 0o600);
    const file = new GrowingFile(path, size);
    const download: ChunkDownload = { file, done: Promise.resolve() };
    download.done = this.download(plan, index, source, file, fd)
      .then(() => void this.recent.set(key, download))
      .finally(() => {
        if (this.inflight.get(key) === download) this.inflight.delete(key);
      });
    download.done.catch(() => undefined); // observed by readers; avoid unhandled rejections
    this.inflight.set(key, download);
    return download;
  }

  /** Aborts running downloads and waits for them to settle (shutdown). */
  async close(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.inflight.values()].map((d) => d.done));
  }

  /** Runs the pull; on any failure the readers following the file are failed and it is removed. */
  private async download(
    plan: BlobPlan,
    index: number,
    source: FileSource,
    file: GrowingFile,
    fd: number,
  ): Promise<void> {
    const staging: Staging = { fd, close: closeOnce(fd) };
    try {
      await this.fill(plan, index, source, file, staging);
    } catch (err) {
      staging.close();
      const failure = StagingArea.asNoSpace(err) ?? (err as Error);
      file.fail(failure);
      await rm(file.path, { force: true });
      throw failure;
    }
  }

  /**
   * With a cluster lock: the holder pulls from upstream; the others wait for the chunk to land in
   * the shared store and copy it into their staging file, so their readers stream all the same.
   */
  private async fill(
    plan: BlobPlan,
    index: number,
    source: FileSource,
    file: GrowingFile,
    staging: Staging,
  ): Promise<void> {
    const { lock, lockTtlMs = 30_000 } = this.options;
    if (!lock) return this.fetch(plan, index, source, file, staging);
    const id = { blob: plan.key, index };
    const key = `${plan.key}#${index}`;
    let token: string | undefined;
    while (!(token = await lock.acquire(key, lockTtlMs))) {
      await lock.waitFor(key, lockTtlMs);
      const landed = await this.ledger.stored(id);
      if (landed) return this.copyFromStore(id, file, staging);
    }
    const held = token;
    const renewal = setInterval(
      () => void lock.renew(key, held, lockTtlMs).catch(() => undefined),
      lockTtlMs / 3,
    );
    try {
      if (await this.ledger.stored(id)) return await this.copyFromStore(id, file, staging);
      return await this.fetch(plan, index, source, file, staging);
    } finally {
      clearInterval(renewal);
      await lock.release(key, held).catch(() => undefined);
    }
  }

  private async copyFromStore(id: ChunkId, file: GrowingFile, staging: Staging): Promise<void> {
    for await (const part of (await this.store.read(id)) as AsyncIterable<Buffer>) {
      await writeAt(staging.fd, part, part.length, file.written);
      file.advance(part.length);
    }
    staging.close();
    file.finish();
    await rm(file.path, { force: true });
  }

  /**
   * Pulls the chunk from upstream, resuming after failures, then stores and records it. When the
   * blob has several confirmed sources, the chunk is cut into one piece per source (`pullPieces`).
   */
  private async fetch(
    plan: BlobPlan,
    index: number,
    source: FileSource,
    file: GrowingFile,
    staging: Staging,
  ): Promise<void> {
    const { start, end, size } = chunkBounds(plan, index);
    const { retries, limiter, sources: blobSources } = this.options;
    if (this.peers) {
      const fromPeer = await fillFromPeers(
        this.peers,
        plan,
        index,
        file,
        (data, position) => writeAt(staging.fd, data, data.length, position),
        this.peerStats,
        this.stopping.signal,
      );
      if (fromPeer) return this.store_(plan, index, file, staging, fromPeer);
    }
    const digester = new BlockDigester(blockSizeFor(plan.chunkSize));
    const sources = blobSources ? await blobSources.sourcesFor(source) : [];
    if (sources.length) await this.pullPieces(plan, index, source, file, staging, sources, digester);
    // Readers follow what is written: the first bytes at once, then in batches (fewer writes).
    const batch = new WriteBatch(staging.fd);
    const flush = async () => file.advance(await batch.flush(file.written));
    for (let attempt = 0; file.written < size; attempt++) {
      let meter: ReturnType<BlobSources['meterRouted']> | undefined;
      try {
        const body = await this.reader.open(source, start + file.written, end, this.stopping.signal);
        meter = blobSources?.meterRouted();
        for await (const part of body as AsyncIterable<Buffer>) {
          const take = Math.min(part.length, size - file.written - batch.bytes);
          const piece = take === part.length ? part : part.subarray(0, take);
          await limiter?.take(take);
          digester.update(piece);
          this.stats.upstreamBytes += take;
          meter?.add(take);
          const full = batch.add(piece);
          if (full || file.written === 0 || file.written + batch.bytes >= size) await flush();
          if (file.written >= size) break;
        }
        await flush();
        meter?.end();
      } catch (err) {
        meter?.end();
        // The bytes received before the failure are good (and digested): the resume starts after them.
        await flush();
        if (!isRetryable(err) || attempt >= retries || this.stopping.signal.aborted) throw err;
        this.stats.retries++;
        this.log.warn(
          `chunk ${plan.key}#${index}: ${(err as Error).message}; resuming at byte ${file.written}`,
        );
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5_000)));
        continue;
      }
      if (file.written < size) {
        if (attempt >= retries)
          throw new UpstreamFileError(`Upstream body ended early for ${plan.key}#${index}`, true);
        this.stats.retries++;
      }
    }
    return this.store_(plan, index, file, staging, {
      blockSize: digester.blockSize,
      blockDigests: digester.finish(),
    });
  }

  /** Stores the complete staging file and records it with its block digests. */
  private async store_(
    plan: BlobPlan,
    index: number,
    file: GrowingFile,
    staging: Staging,
    digests: { blockSize: number; blockDigests: string },
  ): Promise<void> {
    staging.close();
    // Readers that attached before this point hold their own descriptors; later ones read the store.
    file.finish();
    await this.store.putFile({ blob: plan.key, index }, file.path);
    await this.ledger.record({ blobKey: plan.key, index, size: chunkBounds(plan, index).size, ...digests });
    this.stats.chunksPulled++;
    this.options.onChunkStored(plan, index);
  }

  /**
   * Pulls the pieces of one chunk from their sources in parallel, each written at its place in the
   * staging file. Readers and the block digests follow the contiguous prefix: the head piece as it
   * arrives, a later piece (read back from the file) once everything before it is there. A source
   * that fails is put in trouble and the rest of its piece goes to another source at once; with no
   * other source left, through the router after a backoff, up to `retries` times.
   */
  private async pullPieces(
    plan: BlobPlan,
    index: number,
    source: FileSource,
    file: GrowingFile,
    staging: Staging,
    sources: BlobSource[],
    digester: BlockDigester,
  ): Promise<void> {
    const blobSources = this.options.sources!;
    const { start, size } = chunkBounds(plan, index);
    const { retries, limiter } = this.options;
    type Piece = ChunkPiece & { written: number; reserved: number; advanced: number; running: boolean };
    const pieces: Piece[] = blobSources
      .split(sources, size)
      .map((p) => ({ ...p, written: 0, reserved: 0, advanced: 0, running: true }));
    const length = (p: Piece) => p.to - p.from;
    /**
     * Work stealing: a source that finished its piece takes the far end of the piece with the most
     * bytes left, in proportion to the two sources' throughput; the owner stops where it begins.
     */
    const steal = (thief: BlobSource): Piece | undefined => {
      let victim: Piece | undefined;
      for (const q of pieces)
        if (q.running && length(q) - q.reserved > (victim ? length(victim) - victim.reserved : 0)) victim = q;
      if (!victim) return undefined;
      const left = length(victim) - victim.reserved;
      const mine = blobSources.rateOf(thief.id, sources);
      const theirs = victim.source ? blobSources.rateOf(victim.source.id, sources) : mine;
      const take = Math.floor((left * mine) / (mine + theirs));
      if (take < blobSources.stealMinBytes || left - take < 1) return undefined;
      const piece: Piece = {
        from: victim.to - take,
        to: victim.to,
        source: thief,
        written: 0,
        reserved: 0,
        advanced: 0,
        running: true,
      };
      victim.to -= take;
      pieces.splice(pieces.indexOf(victim) + 1, 0, piece);
      return piece;
    };
    const abort = new AbortController();
    const onStop = () => abort.abort();
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    let frontier = 0;
    let advancing: Promise<void> = Promise.resolve();
    let queued = 0;
    /** Moves readers and digests over what is now contiguous from the chunk's start (read back from the file). */
    const advance = () => {
      queued++;
      return (advancing = advancing
        .then(async () => {
          while (frontier < pieces.length) {
            const p = pieces[frontier];
            const n = p.written - p.advanced;
            if (n > 0) {
              const bytes = await readAt(staging.fd, n, p.from + p.advanced);
              digester.update(bytes);
              p.advanced += n;
              file.advance(n);
            }
            if (p.advanced < length(p)) return;
            frontier++;
          }
        })
        .finally(() => queued--));
    };
    /** The piece that is the contiguous front, with nothing queued, digests what it just wrote as it is. */
    const wrote = (p: Piece, bytes: Buffer) => {
      if (queued === 0 && pieces[frontier] === p && p.advanced + bytes.length === p.written) {
        digester.update(bytes);
        p.advanced = p.written;
        file.advance(bytes.length);
        if (p.advanced < length(p)) return;
        frontier++;
      }
      void advance().catch(() => undefined);
    };
    const run = async (p: Piece): Promise<void> => {
      const avoid = new Set<string>();
      let from = p.source;
      for (let attempt = 0; p.written < length(p);) {
        const left = length(p) - p.written;
        const claim = from ? blobSources.claim(from.id, left) : undefined;
        try {
          const at = start + p.from + p.written;
          const last = start + p.to - 1;
          const body = from
            ? await from.open(source, at, last, abort.signal)
            : await this.reader.open(source, at, last, abort.signal);
          for await (const part of body as AsyncIterable<Buffer>) {
            const take = Math.min(part.length, length(p) - p.written);
            if (take <= 0) break; // the rest of the piece was stolen
            const piece = take === part.length ? part : part.subarray(0, take);
            p.reserved = p.written + take;
            await limiter?.take(take);
            await writeAt(staging.fd, piece, take, p.from + p.written);
            p.written += take;
            this.stats.upstreamBytes += take;
            if (from) this.stats.bytesBySource[from.id] = (this.stats.bytesBySource[from.id] ?? 0) + take;
            claim?.received(take);
            wrote(p, piece);
            if (p.written >= length(p)) break;
          }
          if (p.written < length(p))
            throw new UpstreamFileError(`Upstream body ended early for ${plan.key}#${index}`, true);
        } catch (err) {
          p.reserved = p.written;
          if (abort.signal.aborted) throw err;
          if (from) {
            blobSources.failed(from.id, err);
            avoid.add(from.id);
          }
          // Another source is ready: the rest of the piece goes there at once.
          const next = from && blobSources.pick(sources, length(p) - p.written, avoid);
          if (next && isRetryable(err, true)) {
            this.stats.retries++;
            this.log.warn(
              `chunk ${plan.key}#${index}: ${from!.id} failed (${(err as Error).message}); its piece resumes at byte ${p.from + p.written} from ${next.id}`,
            );
            from = next;
            continue;
          }
          if (!isRetryable(err) || attempt >= retries) throw err;
          this.stats.retries++;
          this.log.warn(
            `chunk ${plan.key}#${index}: ${(err as Error).message}; resuming at byte ${p.from + p.written}`,
          );
          await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5_000)));
          attempt++;
          avoid.clear();
          from = blobSources.pick(sources, length(p) - p.written, avoid);
        } finally {
          claim?.release();
        }
      }
      p.running = false;
      const more = from && steal(from);
      if (more) await run(more);
    };
    let failure: { reason: unknown } | undefined;
    try {
      await Promise.allSettled(
        pieces.map((p) =>
          run(p).catch((err) => {
            // The first failure is the cause; the others are the abort it sends them.
            failure ??= { reason: err };
            abort.abort();
          }),
        ),
      );
      if (failure) throw failure.reason;
      await advance();
    } finally {
      this.stopping.signal.removeEventListener('abort', onStop);
    }
  }
}

function live(download: ChunkDownload | undefined): ChunkDownload | undefined {
  return download && !download.file.failure ? download : undefined;
}

/** `elsewhere`: another source may do better (a source that sent the wrong thing is its own fault). */
function isRetryable(err: unknown, elsewhere = false): boolean {
  if (err instanceof UpstreamRefusedError || StagingArea.asNoSpace(err)) return false;
  if (err instanceof UpstreamFileError) return err.retryable || elsewhere;
  return true; // connection resets, timeouts, unreachable origins
}

interface Staging {
  fd: number;
  close(): void;
}

function closeOnce(fd: number): () => void {
  let open = true;
  return () => {
    if (open) closeSync(fd);
    open = false;
  };
}

const writeFd = promisify(write);
const readFd = promisify(read);

async function readAt(fd: number, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  for (let off = 0; off < length;) {
    const { bytesRead } = await readFd(fd, buf, off, length - off, position + off);
    if (bytesRead === 0) throw new Error(`staging file ended at ${position + off}`);
    off += bytesRead;
  }
  return buf;
}

async function writeAt(fd: number, data: Buffer, length: number, position: number): Promise<void> {
  for (let off = 0; off < length;) {
    const { bytesWritten } = await writeFd(fd, data, off, length - off, position + off);
    off += bytesWritten;
  }
}
