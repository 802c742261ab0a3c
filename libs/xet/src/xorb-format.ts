import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { xetHashToHex, type XetHash } from './hash';

/**
 * Xorb chunk encoding. A xorb is a sequence of chunks, each an 8-byte header
 *   version u8 (0) | compressed length u24 LE | scheme u8 | uncompressed length u24 LE
 * followed by the compressed bytes, then a footer (see `serializeXorbFooter`). A byte range of a
 * xorb that starts and ends on chunk boundaries is itself a valid chunk stream: this is what CAS
 * clients download and decode.
 */
export enum XetCompression {
  None = 0,
  /** LZ4 frame format (lz4_flex's FrameEncoder, which the Xet client uses). */
  Lz4 = 1,
  /** Bytes regrouped by position mod 4 (all byte 0s, then all byte 1s, …), then LZ4 frame. */
  ByteGrouping4Lz4 = 2,
}

export const CHUNK_HEADER_LENGTH = 8;
/** Chunks above this are refused when decoding (the protocol's max chunk size). */
const MAX_CHUNK = 128 * 1024;
const XORB_IDENT = Buffer.from('XETBLOB');

export class XorbFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XorbFormatError';
  }
}

export interface ChunkHeader {
  compressedLength: number;
  scheme: XetCompression;
  uncompressedLength: number;
}

export function encodeChunkHeader(h: ChunkHeader): Buffer {
  const b = Buffer.alloc(CHUNK_HEADER_LENGTH);
  b[0] = 0;
  b.writeUIntLE(h.compressedLength, 1, 3);
  b[4] = h.scheme;
  b.writeUIntLE(h.uncompressedLength, 5, 3);
  return b;
}

export function parseChunkHeader(b: Buffer, at = 0): ChunkHeader {
  if (b.length - at < CHUNK_HEADER_LENGTH) throw new XorbFormatError('Truncated chunk header');
  if (b.subarray(at, at + XORB_IDENT.length).equals(XORB_IDENT)) {
    throw new XorbFormatError('Reached the xorb footer where a chunk header was expected');
  }
  const version = b[at];
  const scheme = b[at + 4];
  const h = {
    compressedLength: b.readUIntLE(at + 1, 3),
    scheme: scheme as XetCompression,
    uncompressedLength: b.readUIntLE(at + 5, 3),
  };
  if (version !== 0) throw new XorbFormatError(`Unknown chunk header version ${version}`);
  if (!(scheme in XetCompression)) throw new XorbFormatError(`Unknown compression scheme ${scheme}`);
  if (h.uncompressedLength > MAX_CHUNK || h.compressedLength > 2 * MAX_CHUNK) {
    throw new XorbFormatError(`Chunk too large (${h.uncompressedLength} bytes)`);
  }
  return h;
}

/**
 * Header + body of one chunk. Like the Xet client, falls back to `None` when compressing would
 * not make the chunk smaller.
 */
export function encodeChunk(data: Buffer, scheme: XetCompression): Buffer {
  let body = data;
  let used = XetCompression.None;
  if (scheme !== XetCompression.None && data.length > 0) {
    const input = scheme === XetCompression.ByteGrouping4Lz4 ? bg4Split(data) : data;
    const compressed = compressFrameSync(input);
    if (compressed.length < data.length) {
      body = compressed;
      used = scheme;
    }
  }
  const header = encodeChunkHeader({
    compressedLength: body.length,
    scheme: used,
    uncompressedLength: data.length,
  });
  return Buffer.concat([header, body]);
}

export function decodeChunkBody(h: ChunkHeader, body: Buffer): Buffer {
  let out: Buffer;
  switch (h.scheme) {
    case XetCompression.None:
      out = body;
      break;
    case XetCompression.Lz4:
      out = decompress(body);
      break;
    case XetCompression.ByteGrouping4Lz4:
      out = bg4Regroup(decompress(body));
      break;
  }
  if (out.length !== h.uncompressedLength) {
    throw new XorbFormatError(
      `Chunk decodes to ${out.length} bytes, its header says ${h.uncompressedLength}`,
    );
  }
  return out;
}

export interface DecodedChunk {
  data: Buffer;
  /** Encoded size (header included). */
  packedLength: number;
}

/** Decodes a whole chunk stream (e.g. a downloaded xorb range); throws on any malformed chunk. */
export function decodeChunks(stream: Buffer): DecodedChunk[] {
  const out: DecodedChunk[] = [];
  let at = 0;
  while (at < stream.length) {
    const h = parseChunkHeader(stream, at);
    const end = at + CHUNK_HEADER_LENGTH + h.compressedLength;
    if (end > stream.length) throw new XorbFormatError('Truncated chunk body');
    out.push({
      data: decodeChunkBody(h, stream.subarray(at + CHUNK_HEADER_LENGTH, end)),
      packedLength: end - at,
    });
    at = end;
  }
  return out;
}

function decompress(body: Buffer): Buffer {
  try {
    return decompressFrameSync(body);
  } catch (err) {
    throw new XorbFormatError(`LZ4 frame: ${(err as Error).message}`);
  }
}

/** Byte grouping: bytes at positions ≡ k (mod 4) go to group k; groups are concatenated. */
export function bg4Split(data: Buffer): Buffer {
  const n = data.length;
  const out = Buffer.allocUnsafe(n);
  let o = 0;
  for (let k = 0; k < 4; k++) for (let i = k; i < n; i += 4) out[o++] = data[i];
  return out;
}

export function bg4Regroup(groups: Buffer): Buffer {
  const n = groups.length;
  const out = Buffer.allocUnsafe(n);
  const base = Math.floor(n / 4);
  const rem = n % 4;
  let o = 0;
  for (let k = 0; k < 4; k++) {
    const len = base + (k < rem ? 1 : 0);
    for (let j = 0; j < len; j++) out[4 * j + k] = groups[o++];
  }
  return out;
}

export interface XorbFooterInput {
  xorbHash: XetHash;
  chunkHashes: readonly XetHash[];
  /** End offset (in the xorb, headers included) of each chunk. */
  chunkEnds: readonly number[];
  /** End offset of each chunk in the concatenated uncompressed data. */
  unpackedEnds: readonly number[];
}

/**
 * The xorb footer (format version 1): ident "XETBLOB", version, xorb hash; a hash section
 * ("XBLBHSH", version 0, count, chunk hashes); a boundary section ("XBLBBND", version 1, count,
 * packed chunk ends, unpacked chunk ends); then count, the two section offsets from the footer's
 * end, 16 reserved bytes; and finally the footer length as u32 (not counting itself).
 */
export function serializeXorbFooter(f: XorbFooterInput): Buffer {
  const n = f.chunkHashes.length;
  if (f.chunkEnds.length !== n || f.unpackedEnds.length !== n)
    throw new Error('Footer vectors differ in length');
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return b;
  };
  const reserved = Buffer.alloc(16);
  const tail = (a: number, b: number) => Buffer.concat([u32(n), u32(a), u32(b), reserved]);
  const boundaries = Buffer.concat([
    Buffer.from('XBLBBND'),
    Buffer.from([1]),
    u32(n),
    ...f.chunkEnds.map(u32),
    ...f.unpackedEnds.map(u32),
  ]);
  const hashes = Buffer.concat([Buffer.from('XBLBHSH'), Buffer.from([0]), u32(n), ...f.chunkHashes]);
  const boundaryFromEnd = boundaries.length + 12 + reserved.length;
  const hashesFromEnd = hashes.length + boundaryFromEnd;
  const info = Buffer.concat([
    XORB_IDENT,
    Buffer.from([1]),
    f.xorbHash,
    hashes,
    boundaries,
    tail(hashesFromEnd, boundaryFromEnd),
  ]);
  return Buffer.concat([info, u32(info.length)]);
}

export interface XorbFooter {
  xorbHashHex: string;
  chunkHashes: XetHash[];
  chunkEnds: number[];
  unpackedEnds: number[];
}

/** Reads the footer at the end of a whole serialized xorb. */
export function parseXorbFooter(xorb: Buffer): XorbFooter {
  if (xorb.length < 4) throw new XorbFormatError('Xorb too short');
  const infoLength = xorb.readUInt32LE(xorb.length - 4);
  const start = xorb.length - 4 - infoLength;
  if (start < 0) throw new XorbFormatError('Bad footer length');
  const r = new Reader(xorb, start);
  if (!r.bytes(7).equals(XORB_IDENT) || r.u8() !== 1)
    throw new XorbFormatError('Not a version-1 xorb footer');
  const xorbHashHex = xetHashToHex(r.bytes(32));
  if (r.bytes(7).toString() !== 'XBLBHSH' || r.u8() !== 0) throw new XorbFormatError('Bad hash section');
  const n = r.u32();
  const chunkHashes = Array.from({ length: n }, () => Buffer.from(r.bytes(32)));
  if (r.bytes(7).toString() !== 'XBLBBND' || r.u8() !== 1) throw new XorbFormatError('Bad boundary section');
  if (r.u32() !== n) throw new XorbFormatError('Chunk counts disagree');
  const chunkEnds = Array.from({ length: n }, () => r.u32());
  const unpackedEnds = Array.from({ length: n }, () => r.u32());
  return { xorbHashHex, chunkHashes, chunkEnds, unpackedEnds };
}

class Reader {
  constructor(
    private readonly b: Buffer,
    private at: number,
  ) {}
  bytes(n: number): Buffer {
    if (this.at + n > this.b.length) throw new XorbFormatError('Truncated xorb footer');
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  u8(): number {
    return this.bytes(1)[0];
  }
  u32(): number {
    return this.bytes(4).readUInt32LE();
  }
}
