import { createBLAKE3, type IHasher } from 'hash-wasm';

/** A Xet hash (chunk, xorb or file): the 32 raw bytes of a BLAKE3 digest. */
export type XetHash = Buffer;

/** Key of the chunk (leaf) hash: a protocol constant. */
const CHUNK_KEY = Uint8Array.from([
  102, 151, 245, 119, 91, 149, 80, 222, 49, 53, 203, 172, 165, 151, 24, 28, 157, 228, 33, 16, 155, 235, 43,
  88, 180, 208, 176, 75, 147, 173, 242, 41,
]);
/** Key of merkle internal nodes: a protocol constant. */
const NODE_KEY = Uint8Array.from([
  1, 126, 197, 199, 165, 71, 41, 150, 253, 148, 102, 102, 180, 138, 2, 230, 93, 221, 83, 111, 55, 199, 109,
  210, 248, 99, 82, 230, 74, 83, 113, 63,
]);
/** A file hash is the merkle root keyed-hashed once more with a salt; Hub files use the zero salt. */
const ZERO_SALT = new Uint8Array(32);

const HEX64 = /^[0-9a-f]{64}$/;
/** Merkle nodes take between 2 and 9 children; a child whose hash ≡ 0 (mod 4) closes its group. */
const MAX_GROUP = 9;

export interface HashedRange {
  hash: XetHash;
  /** Bytes below this hash (a chunk's length, or the sum of a node's children). */
  size: number;
}

/**
 * The Xet hash string: the 32 bytes read as four little-endian u64 words, each printed as 16 hex
 * digits. So every 8-byte group appears byte-reversed relative to the raw digest.
 */
export function xetHashToHex(hash: XetHash): string {
  if (hash.length !== 32) throw new Error(`A Xet hash has 32 bytes, got ${hash.length}`);
  let out = '';
  for (let word = 0; word < 4; word++) {
    for (let i = 7; i >= 0; i--) out += hash[word * 8 + i].toString(16).padStart(2, '0');
  }
  return out;
}

export function xetHashFromHex(hex: string): XetHash {
  const h = hex.toLowerCase();
  if (!HEX64.test(h)) throw new Error(`Not a Xet hash: ${JSON.stringify(hex.slice(0, 80))}`);
  const out = Buffer.alloc(32);
  for (let word = 0; word < 4; word++) {
    for (let i = 0; i < 8; i++)
      out[word * 8 + 7 - i] = parseInt(h.slice(word * 16 + i * 2, word * 16 + i * 2 + 2), 16);
  }
  return out;
}

export function isXetHashHex(value: string): boolean {
  return HEX64.test(value);
}

/**
 * The Xet hash functions (keyed BLAKE3). Synchronous once created: `XetHasher.create()` loads the
 * WebAssembly BLAKE3 once per process.
 */
export class XetHasher {
  private static shared?: Promise<XetHasher>;

  private constructor(
    private readonly chunk: IHasher,
    private readonly node: IHasher,
    private readonly salt: IHasher,
  ) {}

  static create(): Promise<XetHasher> {
    XetHasher.shared ??= (async () =>
      new XetHasher(
        await createBLAKE3(256, CHUNK_KEY),
        await createBLAKE3(256, NODE_KEY),
        await createBLAKE3(256, ZERO_SALT),
      ))();
    return XetHasher.shared;
  }

  /** Hash of one chunk's uncompressed bytes. */
  chunkHash(data: Uint8Array): XetHash {
    return digest(this.chunk, data);
  }

  /** Merkle root over chunk hashes (a xorb's hash is this over its chunks). */
  merkleRoot(leaves: readonly HashedRange[]): XetHash {
    if (leaves.length === 0) return Buffer.alloc(32);
    let level: HashedRange[] = [...leaves];
    while (level.length > 1) {
      const next: HashedRange[] = [];
      for (let start = 0; start < level.length;) {
        const end = start + groupLength(level, start);
        next.push(this.mergeGroup(level, start, end));
        start = end;
      }
      level = next;
    }
    return level[0].hash;
  }

  xorbHash(chunks: readonly HashedRange[]): XetHash {
    return this.merkleRoot(chunks);
  }

  /** The file hash sent as X-Xet-Hash and used as the reconstruction id. */
  fileHash(chunks: readonly HashedRange[]): XetHash {
    if (chunks.length === 0) return Buffer.alloc(32);
    return digest(this.salt, this.merkleRoot(chunks));
  }

  private mergeGroup(level: readonly HashedRange[], start: number, end: number): HashedRange {
    let text = '';
    let size = 0;
    for (let i = start; i < end; i++) {
      text += `${xetHashToHex(level[i].hash)} : ${level[i].size}\n`;
      size += level[i].size;
    }
    return { hash: digest(this.node, Buffer.from(text, 'latin1')), size };
  }
}

/** How many nodes from `start` form the next group (the last group takes whatever remains). */
function groupLength(level: readonly HashedRange[], start: number): number {
  const remaining = level.length - start;
  if (remaining <= 2) return remaining;
  const limit = Math.min(MAX_GROUP, remaining);
  for (let i = 2; i < limit; i++) {
    // The cut test reads the hash's last little-endian u64 word; mod 4 needs only its lowest byte.
    if ((level[start + i].hash[24] & 3) === 0) return i + 1;
  }
  return limit;
}

function digest(hasher: IHasher, data: Uint8Array): XetHash {
  hasher.init();
  hasher.update(data);
  return Buffer.from(hasher.digest('binary'));
}
