import { XetHasher, xetHashToHex, type XetHash } from './hash';
import { encodeChunk, serializeXorbFooter, XetCompression } from './xorb-format';

/** A xorb holds at most 64 MiB of chunk data and 8192 chunks (the Xet client's limits). */
export const XORB_MAX_BYTES = 64 * 1024 * 1024;
export const XORB_MAX_CHUNKS = 8 * 1024;

export interface BuiltXorb {
  hash: XetHash;
  hashHex: string;
  chunkHashes: XetHash[];
  /** End offset of each encoded chunk in the xorb (headers included). */
  chunkEnds: number[];
  unpackedLengths: number[];
  footer: Buffer;
}

/** Accumulates chunks into one xorb: encodes each as it comes, builds the footer at the end. */
export class XorbBuilder {
  private readonly hashes: XetHash[] = [];
  private readonly ends: number[] = [];
  private readonly unpacked: number[] = [];
  private packedSize = 0;
  private unpackedSize = 0;

  constructor(
    private readonly hasher: XetHasher,
    private readonly scheme: XetCompression = XetCompression.Lz4,
    private readonly maxBytes = XORB_MAX_BYTES,
    private readonly maxChunks = XORB_MAX_CHUNKS,
  ) {}

  get chunkCount(): number {
    return this.hashes.length;
  }

  get isEmpty(): boolean {
    return this.hashes.length === 0;
  }

  fits(length: number): boolean {
    return (
      this.isEmpty || (this.hashes.length < this.maxChunks && this.unpackedSize + length <= this.maxBytes)
    );
  }

  /** Encodes the chunk; returns its index in the xorb and its encoded bytes (to append). */
  add(data: Buffer, hash: XetHash): { index: number; encoded: Buffer } {
    const encoded = encodeChunk(data, this.scheme);
    this.packedSize += encoded.length;
    this.unpackedSize += data.length;
    this.hashes.push(hash);
    this.ends.push(this.packedSize);
    this.unpacked.push(data.length);
    return { index: this.hashes.length - 1, encoded };
  }

  finish(): BuiltXorb {
    const hash = this.hasher.xorbHash(this.hashes.map((h, i) => ({ hash: h, size: this.unpacked[i] })));
    let acc = 0;
    const unpackedEnds = this.unpacked.map((n) => (acc += n));
    return {
      hash,
      hashHex: xetHashToHex(hash),
      chunkHashes: [...this.hashes],
      chunkEnds: [...this.ends],
      unpackedLengths: [...this.unpacked],
      footer: serializeXorbFooter({
        xorbHash: hash,
        chunkHashes: this.hashes,
        chunkEnds: this.ends,
        unpackedEnds,
      }),
    };
  }
}
