import { Xxh64 } from '@node-rs/xxhash';

/**
 * Stored chunks are checked block by block on every read: a flipped bit on disk (which never
 * touches mtime) is caught before the block containing it leaves the mirror. xxh64 runs at
 * ~7–11 GB/s here (sha256: ~1.3 GB/s), so checking every block costs little on the hot path.
 */
export const BLOCK_SIZE = 1024 * 1024;

const DIGEST_HEX = 16;

export function blockSizeFor(chunkSize: number): number {
  return Math.min(BLOCK_SIZE, chunkSize);
}

export function digestHex(hash: Xxh64): string {
  return hash.digest().toString(16).padStart(DIGEST_HEX, '0');
}

/** The digest of block `index` within a record's `blockDigests`. */
export function blockDigestAt(digests: string, index: number): string | undefined {
  const start = index * DIGEST_HEX;
  return start + DIGEST_HEX <= digests.length ? digests.slice(start, start + DIGEST_HEX) : undefined;
}

export function blockCount(chunkSize: number, blockSize: number): number {
  return Math.max(1, Math.ceil(chunkSize / blockSize));
}

/** Computes block digests of bytes written in order (as a chunk is pulled). */
export class BlockDigester {
  private readonly hash = new Xxh64();
  private inBlock = 0;
  private digests = '';

  constructor(readonly blockSize: number) {}

  update(data: Buffer): void {
    for (let off = 0; off < data.length;) {
      const take = Math.min(this.blockSize - this.inBlock, data.length - off);
      this.hash.update(take === data.length && off === 0 ? data : data.subarray(off, off + take));
      this.inBlock += take;
      off += take;
      if (this.inBlock === this.blockSize) this.closeBlock();
    }
  }

  /** All digests, the last (possibly short) block included. */
  finish(): string {
    if (this.inBlock > 0) this.closeBlock();
    return this.digests;
  }

  private closeBlock(): void {
    this.digests += digestHex(this.hash);
    this.hash.reset();
    this.inBlock = 0;
  }
}
