import { Readable, Transform, TransformCallback } from 'node:stream';
import { xxh64, Xxh64 } from '@node-rs/xxhash';
import { ChunkFile, ChunkId, ChunkStore } from '@dingo/chunk-store';
import { ChunkRecord } from '@dingo/metadata-store';
import { blockDigestAt, digestHex } from '../blobs/block-digests';
import { BlockBuffers } from './block-buffers';
import { ByteSink, ByteSource, ClientGoneError, CopyOutcome } from './byte-sink';

export class BlockMismatchError extends Error {
  constructor(
    readonly chunk: ChunkId,
    readonly block: number,
    detail: string,
  ) {
    super(`chunk ${chunk.blob}#${chunk.index}, block ${block}: ${detail}`);
    this.name = 'BlockMismatchError';
  }
}

/**
 * Reads bytes [from, to] of a stored chunk, checking every block they touch against its recorded
 * digest before letting any byte of it through: a block that changed on disk is never delivered,
 * not even in part (the stream fails with BlockMismatchError instead).
 */
export async function readCheckedChunk(
  store: ChunkStore,
  record: ChunkRecord,
  from: number,
  to: number,
): Promise<Readable> {
  const bs = record.blockSize;
  const alignedStart = Math.floor(from / bs) * bs;
  const alignedEnd = Math.min(record.size, (Math.floor(to / bs) + 1) * bs) - 1;
  const id = { blob: record.blobKey, index: record.index };
  // A read to the chunk's end asks for "the rest": a memory cache in front of the store keeps whole chunks.
  const body = await store.read(id, alignedStart, alignedEnd === record.size - 1 ? undefined : alignedEnd);
  return body
    .pipe(new BlockCheckedStream(record, alignedStart, alignedEnd, from, to))
    .on('error', () => body.destroy());
}

/**
 * Copies bytes [from, to] of a stored chunk open as a local file to `sink`, block by block into
 * reused buffers: each block is read whole and checked against its digest before any byte of it
 * is written (the next block is read while the socket takes the last). A mismatch, a short or an
 * overlong file stops the copy with BlockMismatchError in the outcome, like readCheckedChunk.
 */
export async function copyCheckedChunk(
  file: ChunkFile,
  record: ChunkRecord,
  from: number,
  to: number,
  sink: ByteSink,
  source: ByteSource,
  buffers: BlockBuffers,
): Promise<CopyOutcome> {
  const bs = record.blockSize;
  const readBlock = async (block: number): Promise<Buffer> => {
    const buf = buffers.take(bs);
    try {
      await readCheckedBlock(file, record, block, buf);
      return buf;
    } catch (err) {
      buffers.give(buf);
      throw err;
    }
  };
  const first = Math.floor(from / bs);
  const last = Math.floor(to / bs);
  let bytes = 0;
  let next: Promise<Buffer> | undefined = readBlock(first);
  try {
    for (let block = first; block <= last; block++) {
      const buf: Buffer = await next!;
      next = block < last ? readBlock(block + 1) : undefined;
      // Settled below (finally) if this copy stops before awaiting it.
      next?.catch(() => undefined);
      const start = block * bs;
      const a = Math.max(from, start) - start;
      const b = Math.min(to + 1, start + Math.min(bs, record.size - start)) - start;
      await sink.writeReused(buf.subarray(a, b), source, () => buffers.give(buf));
      bytes += b - a;
    }
    return { bytes };
  } catch (err) {
    if (err instanceof ClientGoneError) throw err;
    return { bytes, error: err as Error };
  } finally {
    if (next)
      await next.then(
        (buf) => buffers.give(buf),
        () => undefined,
      );
    await file.close().catch(() => undefined);
  }
}

/**
 * Reads block `block` of a stored chunk open as a local file into `buf` (at least a block long) and
 * checks it against its recorded digest; returns the block's length. Throws BlockMismatchError on
 * a mismatch, a short file, or (last block) a file longer than recorded.
 */
export async function readCheckedBlock(
  file: ChunkFile,
  record: ChunkRecord,
  block: number,
  buf: Buffer,
): Promise<number> {
  const bs = record.blockSize;
  const id = { blob: record.blobKey, index: record.index };
  const start = block * bs;
  const length = Math.min(bs, record.size - start);
  let got = 0;
  while (got < length) {
    const n = await file.read(got ? buf.subarray(got) : buf, length - got, start + got);
    if (n === 0) throw new BlockMismatchError(id, block, `stored chunk ends at byte ${start + got}`);
    got += n;
  }
  const actual = xxh64(length === buf.length ? buf : buf.subarray(0, length))
    .toString(16)
    .padStart(16, '0');
  const expected = blockDigestAt(record.blockDigests, block);
  if (actual !== expected) throw new BlockMismatchError(id, block, `digest ${actual}, recorded ${expected}`);
  if (block === Math.ceil(record.size / bs) - 1 && (await file.read(buf, 1, record.size)) > 0)
    throw new BlockMismatchError(id, block, 'more bytes than recorded');
  return length;
}

class BlockCheckedStream extends Transform {
  private readonly hash = new Xxh64();
  private pending: Buffer[] = [];
  /** Chunk offset of the next byte to arrive. */
  private pos: number;
  private block: number;
  private blockEnd: number;

  constructor(
    private readonly record: ChunkRecord,
    alignedStart: number,
    private readonly alignedEnd: number,
    private readonly from: number,
    private readonly to: number,
  ) {
    super();
    this.pos = alignedStart;
    this.block = alignedStart / record.blockSize;
    this.blockEnd = this.endOf(this.block);
  }

  private endOf(block: number): number {
    return Math.min(this.record.size, (block + 1) * this.record.blockSize);
  }

  override _transform(data: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    for (let off = 0; off < data.length;) {
      if (this.pos > this.alignedEnd) return cb(this.mismatch('more bytes than recorded'));
      const take = Math.min(this.blockEnd - this.pos, data.length - off);
      const piece = take === data.length ? data : data.subarray(off, off + take);
      this.hash.update(piece);
      this.pending.push(piece);
      this.pos += take;
      off += take;
      if (this.pos === this.blockEnd) {
        const err = this.closeBlock();
        if (err) return cb(err);
      }
    }
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.pos <= this.alignedEnd) return cb(this.mismatch(`stored chunk ends at byte ${this.pos}`));
    cb();
  }

  private closeBlock(): Error | undefined {
    const expected = blockDigestAt(this.record.blockDigests, this.block);
    const actual = digestHex(this.hash);
    if (actual !== expected) return this.mismatch(`digest ${actual}, recorded ${expected}`);
    // Release only the requested bytes of the verified block.
    let start = this.blockEnd - this.pending.reduce((n, b) => n + b.length, 0);
    for (const piece of this.pending) {
      const a = Math.max(this.from, start);
      const b = Math.min(this.to + 1, start + piece.length);
      if (a < b)
        this.push(a === start && b === start + piece.length ? piece : piece.subarray(a - start, b - start));
      start += piece.length;
    }
    this.pending = [];
    this.hash.reset();
    this.block++;
    this.blockEnd = this.endOf(this.block);
    return undefined;
  }

  private mismatch(detail: string): BlockMismatchError {
    return new BlockMismatchError(
      { blob: this.record.blobKey, index: this.record.index },
      this.block,
      detail,
    );
  }
}
