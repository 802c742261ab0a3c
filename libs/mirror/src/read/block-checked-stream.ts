import { Readable, Transform, TransformCallback } from 'node:stream';
import { Xxh64 } from '@node-rs/xxhash';
import { ChunkId, ChunkStore } from '@dingo/chunk-store';
import { ChunkRecord } from '@dingo/metadata-store';
import { blockDigestAt, digestHex } from '../blobs/block-digests';

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
