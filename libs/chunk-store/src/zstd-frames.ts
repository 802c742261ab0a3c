import { Decoder, Encoder } from '@toondepauw/node-zstd';

/**
 * A chunk compressed block by block, so a range read decompresses only the blocks it touches:
 *
 *   "DZS1" | blockSize u32 | size u32 | n u32 | compressed length of each block u32 × n | blocks
 *
 * (integers little-endian; `size` is the uncompressed chunk size). Blocks are independent zstd
 * frames. Digests stay over the uncompressed bytes, so reads are checked the same way.
 */
const MAGIC = Buffer.from('DZS1');
const FIXED = 16;
export const FRAME_BLOCK_SIZE = 1024 * 1024;

export interface FrameHeader {
  blockSize: number;
  size: number;
  /** Offset of each block's compressed bytes from the start of the file, and one past the last. */
  offsets: number[];
}

const encoder = new Encoder(3);
const decoder = new Decoder();

export function compressBlock(block: Buffer): Promise<Buffer> {
  return encoder.encode(block);
}

/** The header of a framed chunk of `size` bytes whose blocks compressed to `sizes`. */
export function frameHeader(blockSize: number, size: number, sizes: number[]): Buffer {
  const header = Buffer.alloc(FIXED + 4 * sizes.length);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(blockSize, 4);
  header.writeUInt32LE(size, 8);
  header.writeUInt32LE(sizes.length, 12);
  sizes.forEach((n, i) => header.writeUInt32LE(n, FIXED + 4 * i));
  return header;
}

/** Compresses a whole chunk; resolves with the framed bytes. */
export async function compressFrames(chunk: Buffer, blockSize = FRAME_BLOCK_SIZE): Promise<Buffer> {
  const blocks: Buffer[] = [];
  for (let off = 0; off < chunk.length; off += blockSize)
    blocks.push(await compressBlock(chunk.subarray(off, Math.min(chunk.length, off + blockSize))));
  return Buffer.concat([
    frameHeader(
      blockSize,
      chunk.length,
      blocks.map((b) => b.length),
    ),
    ...blocks,
  ]);
}

/** Bytes needed to parse the header of a chunk of at most `maxSize` bytes. */
export function headerLength(blocks: number): number {
  return FIXED + 4 * blocks;
}

export function parseFixedHeader(bytes: Buffer): { blockSize: number; size: number; blocks: number } {
  if (bytes.length < FIXED || !bytes.subarray(0, 4).equals(MAGIC)) throw new Error('not a DZS1 frame file');
  return { blockSize: bytes.readUInt32LE(4), size: bytes.readUInt32LE(8), blocks: bytes.readUInt32LE(12) };
}

export function parseHeader(bytes: Buffer): FrameHeader {
  const { blockSize, size, blocks } = parseFixedHeader(bytes);
  if (bytes.length < headerLength(blocks)) throw new Error('truncated DZS1 header');
  const offsets = [headerLength(blocks)];
  for (let i = 0; i < blocks; i++) offsets.push(offsets[i] + bytes.readUInt32LE(FIXED + 4 * i));
  return { blockSize, size, offsets };
}

/** Blocks [first, last] covering uncompressed bytes [start, end], and where their bytes lie in the file. */
export function blocksFor(h: FrameHeader, start: number, end: number) {
  const first = Math.floor(start / h.blockSize);
  const last = Math.floor(end / h.blockSize);
  return { first, last, from: h.offsets[first], to: h.offsets[last + 1] - 1 };
}

/** Decompresses the given consecutive blocks (their compressed bytes, back to back). */
export async function decompressBlocks(
  h: FrameHeader,
  first: number,
  last: number,
  bytes: Buffer,
): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const base = h.offsets[first];
  for (let b = first; b <= last; b++)
    out.push(await decoder.decode(bytes.subarray(h.offsets[b] - base, h.offsets[b + 1] - base)));
  return out;
}
