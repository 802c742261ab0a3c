import { Readable } from 'node:stream';
import { growingLru } from '@dingo/concurrency';
import { encodeFilePath, encodeRevision, repoUrlPrefix } from '@dingo/hub-protocol';
import {
  ChunkSource,
  drain,
  OriginBook,
  OriginTrouble,
  UpstreamRouter,
  UpstreamUnreachableError,
} from '@dingo/upstream';
import { etagOf, FileSource } from '../files/located-file';
import { UpstreamFileError, UpstreamFileReader } from './upstream-file-reader';

/**
 * One place the bytes of a blob can come from: an upstream hub origin (the Hub, or a mirror of it),
 * or an extra source (e.g. ModelScope) that can serve byte ranges of a blob known by its sha256.
 * Its trouble and throughput are kept in the OriginBook under `id`.
 */
export interface BlobSource {
  readonly id: string;
  /**
   * Whether this source serves exactly the blob `source.file` names (for a hub: same commit and
   * the same sha256 / git blob id). Asked once per blob before any chunk is pulled from it.
   */
  sameBlob(source: FileSource, signal: AbortSignal): Promise<boolean>;
  /** Bytes `start..end` (inclusive) of the blob; throws as UpstreamFileReader does. */
  open(source: FileSource, start: number, end: number, signal?: AbortSignal): Promise<Readable>;
}

/**
 * A source of another kind (ModelScope) in a multi-source pull: only for LFS files whose sha256 it
 * names too (a regular file's git blob id is not something it can confirm), never hosted ones.
 */
export class ChunkSourceBlobSource implements BlobSource {
  constructor(private readonly source: ChunkSource) {}

  get id(): string {
    return this.source.id;
  }

  async sameBlob({ file }: FileSource, signal: AbortSignal): Promise<boolean> {
    if (file.hosted || !file.sha256) return false;
    return this.source.covers(file, signal);
  }

  open({ file }: FileSource, start: number, end: number, signal?: AbortSignal): Promise<Readable> {
    return this.source.openRange(file, start, end + 1, signal);
  }
}

/** A configured upstream origin as a source: resolve at the file's commit on that origin only. */
export class HubOriginSource implements BlobSource {
  constructor(
    readonly id: string,
    private readonly router: UpstreamRouter,
    private readonly reader: UpstreamFileReader,
  ) {}

  /** A HEAD at the file's commit on this origin: the same commit and the same ETag (sha256 / blob id). */
  async sameBlob(source: FileSource, signal: AbortSignal): Promise<boolean> {
    const { file } = source;
    const path = `/${repoUrlPrefix(file.repo.type)}${file.repo.id}/resolve/${encodeRevision(file.commit)}/${encodeFilePath(file.path)}`;
    const res = await this.router.send({
      method: 'HEAD',
      url: path,
      origin: this.id,
      headers: { authorization: source.authorization, 'accept-encoding': 'identity' },
      signal,
    });
    drain(res.body);
    if (res.status >= 400) return false;
    const etag = unquote(res.headers['x-linked-etag'] ?? res.headers['etag']);
    return res.headers['x-repo-commit'] === file.commit && etag !== '' && etag === etagOf(file);
  }

  open(source: FileSource, start: number, end: number, signal?: AbortSignal): Promise<Readable> {
    return this.reader.open(source, start, end, signal, this.id);
  }
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '');
}

export interface BlobSourcesOptions {
  /** Off: every chunk comes through the router from the current origin, as with one upstream. */
  enabled: boolean;
  /** How long a source may take to confirm it serves a blob before it is left out of that pull. */
  checkTimeoutMs: number;
  /** No source is given a piece of a chunk smaller than this (default 256 KiB). */
  minPieceBytes?: number;
  /** A source out of work takes over part of another's piece only if it gets this much (default minPieceBytes). */
  stealMinBytes?: number;
}

/** A contiguous part of a chunk (offsets within it, `to` exclusive) and the source to pull it from. */
export interface ChunkPiece {
  from: number;
  to: number;
  /** Undefined: through the router, as with one upstream. */
  source?: BlobSource;
}

/**
 * Which sources serve a blob, and how a chunk is shared between them. A blob is split only between
 * sources that confirmed the very same blob (and only when at least two did); a source that is in
 * trouble (OriginBook) is left out until it recovers. Every chunk is cut into one piece per source,
 * sized by measured throughput (`split`), so all sources work on every chunk and a reader streaming
 * in order never waits on a slow source's whole chunk; the rest of a failed piece goes to the
 * source expected to finish it first (`pick`). A source never measured counts as fast as the
 * fastest, so it gets measured. A blob that failed verification is pulled from one source only
 * afterwards.
 */
export class BlobSources {
  private readonly extras: BlobSource[] = [];
  private readonly hubSources: BlobSource[];
  private readonly confirmations = growingLru<string, Promise<boolean>>(20_000, { ttl: 10 * 60_000 });
  private readonly assigned = new Map<string, number>();
  private readonly distrusted = growingLru<string, true>(10_000, { ttl: 60 * 60_000 });

  constructor(
    private readonly router: UpstreamRouter,
    reader: UpstreamFileReader,
    private readonly book: OriginBook,
    private readonly options: BlobSourcesOptions,
  ) {
    this.hubSources = router.origins.map((o) => new HubOriginSource(o, router, reader));
  }

  /** An extra, non-hub source (ModelScope): it joins pulls of the blobs it confirms. */
  addSource(source: BlobSource): void {
    this.extras.push(source);
  }

  /** Ids of every source, hub origins first (the OriginBook has their state). */
  get ids(): string[] {
    return [...this.hubSources, ...this.extras].map((s) => s.id);
  }

  /**
   * The sources to split this blob between; empty when it is not to be split (one source, or
   * multi-source pulls off): the caller then pulls through the router as before.
   */
  async sourcesFor(source: FileSource): Promise<BlobSource[]> {
    const all = [...this.hubSources, ...this.extras];
    const { file } = source;
    if (!this.options.enabled || all.length < 2 || file.hosted || this.distrusted.has(file.blobKey))
      return [];
    const now = Date.now();
    const candidates = all.filter((s) => this.book.isUp(s.id, now));
    if (candidates.length < 2) return [];
    const confirmed = await Promise.all(candidates.map((s) => this.confirmed(s, source)));
    const sources = candidates.filter((_, i) => confirmed[i]);
    return sources.length >= 2 ? sources : [];
  }

  /** After a blob failed verification: pull it again from one source only (one may be lying). */
  distrust(blobKey: string): void {
    this.distrusted.set(blobKey, true);
  }

  private confirmed(s: BlobSource, source: FileSource): Promise<boolean> {
    const key = `${s.id} ${source.file.blobKey} ${source.file.commit} ${source.authorization ?? ''}`;
    let check = this.confirmations.get(key);
    if (!check) {
      check = s.sameBlob(source, AbortSignal.timeout(this.options.checkTimeoutMs)).catch(() => {
        // No verdict (trouble, timeout): ask again next time instead of keeping a "no".
        this.confirmations.delete(key);
        return false;
      });
      this.confirmations.set(key, check);
    }
    return check;
  }

  /**
   * Cuts a chunk of `size` bytes into one contiguous piece per source that is up, sized by measured
   * throughput so that all finish together; the fastest source takes the head (what a streaming
   * reader needs first). A source never measured counts as fast as the fastest measured one.
   */
  split(sources: BlobSource[], size: number): ChunkPiece[] {
    const now = Date.now();
    let pool = sources.filter((s) => this.book.isUp(s.id, now));
    if (!pool.length) return [{ from: 0, to: size }];
    const minPiece = this.options.minPieceBytes ?? 256 * 1024;
    const known = pool
      .map((s) => this.book.get(s.id).throughputBps)
      .filter((r): r is number => r !== undefined && r > 0);
    const fallback = known.length ? Math.max(...known) : 1;
    const rate = (s: BlobSource) => this.book.get(s.id).throughputBps || fallback;
    pool = [...pool].sort((a, b) => rate(b) - rate(a));
    // Every source keeps at least a minimum piece, so one measured slow once is measured again
    // (the puller's work stealing keeps a slow piece from holding the chunk up).
    const floor = Math.min(minPiece, Math.floor(size / pool.length));
    const total = pool.reduce((a, s) => a + rate(s), 0);
    const pieces: ChunkPiece[] = [];
    let from = 0;
    pool.forEach((s, i) => {
      const rest = pool.length - 1 - i;
      const share = Math.max(floor, Math.round((size * rate(s)) / total));
      const to = rest === 0 ? size : Math.min(size - rest * floor, from + share);
      if (to > from) pieces.push({ from, to, source: s });
      from = to;
    });
    return pieces;
  }

  /** Measured bytes/s of a source; one never measured counts as fast as the fastest of `among`. */
  rateOf(id: string, among: BlobSource[]): number {
    const rate = this.book.get(id).throughputBps;
    if (rate) return rate;
    const known = among.map((s) => this.book.get(s.id).throughputBps ?? 0);
    return Math.max(1, ...known);
  }

  /** A source out of work takes over the end of another's piece only if it gets at least this much. */
  get stealMinBytes(): number {
    return this.options.stealMinBytes ?? this.options.minPieceBytes ?? 256 * 1024;
  }

  /**
   * The source to pull the next `bytes` from: the one expected to finish first. Sources in trouble
   * and those in `avoid` are left out; undefined when none is left.
   */
  pick(sources: BlobSource[], bytes: number, avoid: Set<string>): BlobSource | undefined {
    const now = Date.now();
    const pool = sources.filter((s) => !avoid.has(s.id) && this.book.isUp(s.id, now));
    if (!pool.length) return undefined;
    const rates = pool.map((s) => this.book.get(s.id).throughputBps);
    const known = rates.filter((r): r is number => r !== undefined && r > 0);
    const fallback = known.length ? Math.max(...known) : 1;
    let best = pool[0];
    let bestFinish = Infinity;
    pool.forEach((s, i) => {
      const finish = ((this.assigned.get(s.id) ?? 0) + bytes) / (rates[i] || fallback);
      if (finish < bestFinish) {
        best = s;
        bestFinish = finish;
      }
    });
    return best;
  }

  /**
   * Counts `bytes` as assigned to source `id` until they arrive (`received`) or the piece ends
   * (`release`); also meters its throughput in the OriginBook.
   */
  claim(id: string, bytes: number): { received(n: number): void; release(): void } {
    this.assigned.set(id, (this.assigned.get(id) ?? 0) + bytes);
    const meter = this.book.transfer(id);
    let left = bytes;
    return {
      received: (n) => {
        const take = Math.min(n, left);
        left -= take;
        this.assigned.set(id, (this.assigned.get(id) ?? 0) - take);
        meter.add(n);
      },
      release: () => {
        this.assigned.set(id, (this.assigned.get(id) ?? 0) - left);
        left = 0;
        meter.end();
      },
    };
  }

  /** Meters a transfer through the router (one source): counted for the origin requests go to now. */
  meterRouted(): { add(bytes: number): void; end(): void } {
    return this.book.transfer(this.router.primary);
  }

  /**
   * A source failed a piece: it is in trouble (its share goes to the others) unless the router
   * already put it there (a hub origin that did not answer, or answered 429/5xx).
   */
  failed(id: string, err: unknown): void {
    if (!this.book.isUp(id)) return;
    this.book.troubled(id, troubleOf(err));
  }
}

function troubleOf(err: unknown): OriginTrouble {
  if (err instanceof UpstreamUnreachableError) return err.timedOut ? 'timeout' : 'unreachable';
  const message = (err as Error)?.message ?? '';
  if (err instanceof UpstreamFileError) {
    if (/ 429 /.test(message)) return '429';
    if (/ 5\d\d /.test(message)) return '5xx';
  }
  return /timeout/i.test(message) || (err as { code?: string })?.code?.includes('TIMEOUT')
    ? 'timeout'
    : 'unreachable';
}
