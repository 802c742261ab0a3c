import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ChunkStore, type ChunkId } from '@dingo/chunk-store';
import { HubError } from '@dingo/hub-protocol';
import { UpstreamUnreachableError } from '@dingo/upstream';
import { decodeChunks, XetHasher, xetHashToHex, XorbFormatError } from '@dingo/xet';
import type { StoredXorbRange, XetIndex, XorbRangeRef } from './xet-index';

/** Chunk indices per xorb stay below 2^14 (the protocol allows 8192), so (start, end) packs into one store index. */
const CHUNK_INDEX_SPAN = 16_384;

/** Where to fetch an upstream range; `refresh` asks for a new presigned URL (the last one was refused). */
export type UpstreamRangeLocator = (refresh: boolean) => Promise<XorbRangeRef & { url: string }>;

export interface FetchedRange {
  range: StoredXorbRange;
  /** Fetched from upstream by this call (rather than found stored). */
  fresh: boolean;
}

/**
 * Xorb ranges in the chunk store (`xorb-<hash>` blobs), one stored object per range as upstream's
 * CAS lets it be fetched. A range is stored only after every chunk in it decoded (LZ4 / BG4
 * checked, lengths matching the headers) and its chunk hashes were computed; any stored range
 * covering the chunks asked for is reused, whichever file or repo first brought it in.
 * Concurrent requests for the same range share one upstream fetch.
 */
export class XorbRangeStore {
  private readonly inflight = new Map<string, Promise<FetchedRange>>();

  constructor(
    private readonly store: ChunkStore,
    private readonly index: XetIndex,
    private readonly fetchBytes: (url: string, bytes: { start: number; end: number }) => Promise<Buffer>,
    private readonly stagingDir: string,
    private readonly retries = 3,
  ) {}

  /** The smallest stored range holding chunks [start, end) of the xorb. */
  async covering(xorb: string, start: number, end: number): Promise<StoredXorbRange | undefined> {
    const hits = (await this.index.rangesOf(xorb)).filter((r) => r.chunkStart <= start && end <= r.chunkEnd);
    hits.sort((a, b) => a.byteEnd - a.byteStart - (b.byteEnd - b.byteStart));
    return hits[0];
  }

  /** Chunks [start, end) of the xorb, stored: found, or fetched from upstream where `locate` says. */
  ensure(xorb: string, start: number, end: number, locate: UpstreamRangeLocator): Promise<FetchedRange> {
    const key = `${xorb}:${start}-${end}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.covering(xorb, start, end)
        .then((found) => (found ? { range: found, fresh: false } : this.fetch(locate)))
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  /** Streams bytes [start, end] (xorb coordinates, inclusive) of a stored range. */
  read(range: StoredXorbRange, start: number, end: number): Promise<Readable> {
    return this.store.read(storeId(range), start - range.byteStart, end - range.byteStart);
  }

  async purge(range: StoredXorbRange): Promise<void> {
    await this.index.deleteRange(range.xorb, range.chunkStart, range.chunkEnd);
    await this.store.delete(storeId(range)).catch(() => undefined);
  }

  private async fetch(locate: UpstreamRangeLocator): Promise<FetchedRange> {
    let refresh = false;
    for (let attempt = 0; ; attempt++) {
      const ref = await locate(refresh);
      try {
        const bytes = await this.fetchBytes(ref.url, { start: ref.byteStart, end: ref.byteEnd });
        return { range: await this.keep(ref, bytes), fresh: true };
      } catch (err) {
        if (err instanceof UpstreamUnreachableError || attempt >= this.retries) throw err;
        // Presigned URLs expire: a refusal means "ask the CAS for a new one".
        refresh = err instanceof HubError && (err.status === 403 || err.status === 401);
        if (err instanceof HubError && err.status === 404) throw err;
      }
    }
  }

  /** Decodes and hashes every chunk, then stores the range. */
  private async keep(ref: XorbRangeRef, bytes: Buffer): Promise<StoredXorbRange> {
    const hasher = await XetHasher.create();
    let chunks;
    try {
      chunks = decodeChunks(bytes);
    } catch (err) {
      if (err instanceof XorbFormatError) {
        throw new HubError(
          502,
          'IntegrityError',
          `Upstream xorb ${ref.xorb} range is corrupt: ${err.message}`,
        );
      }
      throw err;
    }
    if (chunks.length !== ref.chunkEnd - ref.chunkStart) {
      throw new HubError(
        502,
        'IntegrityError',
        `Upstream xorb ${ref.xorb} range holds ${chunks.length} chunks, expected ${ref.chunkEnd - ref.chunkStart}`,
      );
    }
    let packed = 0;
    const range: StoredXorbRange = {
      xorb: ref.xorb,
      chunkStart: ref.chunkStart,
      chunkEnd: ref.chunkEnd,
      byteStart: ref.byteStart,
      byteEnd: ref.byteEnd,
      chunkHashes: chunks.map((c) => xetHashToHex(hasher.chunkHash(c.data))),
      unpackedLengths: chunks.map((c) => c.data.length),
      packedEnds: chunks.map((c) => (packed += c.packedLength)),
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    await mkdir(this.stagingDir, { recursive: true });
    const tmp = join(this.stagingDir, `xorb-${randomBytes(8).toString('hex')}`);
    try {
      await writeFile(tmp, bytes);
      await this.store.putFile(storeId(range), tmp);
    } finally {
      await rm(tmp, { force: true });
    }
    await this.index.putRange(range);
    return range;
  }
}

function storeId(r: { xorb: string; chunkStart: number; chunkEnd: number }): ChunkId {
  return { blob: `xorb-${r.xorb}`, index: r.chunkStart * CHUNK_INDEX_SPAN + r.chunkEnd };
}
