import { Readable } from 'node:stream';

/**
 * A blob is a file's content, named by its hash: `sha256-<hex>` for LFS files (the Hub gives the
 * sha256) and `gitsha1-<hex>` for regular files (the Hub gives the git blob id). The same bytes
 * in any repo or revision are therefore stored once. `xorb-<hex>` names a Xet xorb (its Xet
 * hash), whose stored chunks are ranges of it (libs/xet-mirror).
 */
export type BlobKey = string;

export interface ChunkId {
  blob: BlobKey;
  index: number;
  /** Another form of the same chunk (its zstd frames on a cold tier): stored under `<name>.<suffix>`. */
  suffix?: 'zst';
}

const BLOB_KEY = /^(sha256-[0-9a-f]{64}|gitsha1-[0-9a-f]{40}|xorb-[0-9a-f]{64})$/;

export function isBlobKey(value: string): boolean {
  return BLOB_KEY.test(value);
}

export function blobKeyFor(hash: { sha256?: string | null; gitBlobId?: string | null }): BlobKey {
  if (hash.sha256) return assertBlobKey(`sha256-${hash.sha256.toLowerCase()}`);
  if (hash.gitBlobId) return assertBlobKey(`gitsha1-${hash.gitBlobId.toLowerCase()}`);
  throw new Error('A blob needs a sha256 or a git blob id');
}

/** Keys reach the filesystem and S3; anything but the two hash forms is refused. */
export function assertBlobKey(value: string): BlobKey {
  if (!isBlobKey(value)) throw new Error(`Not a blob key: ${JSON.stringify(String(value).slice(0, 80))}`);
  return value;
}

export function chunkName({ blob, index, suffix }: ChunkId): string {
  assertBlobKey(blob);
  if (!Number.isInteger(index) || index < 0) throw new Error(`Bad chunk index ${index}`);
  const name = `${blob.slice(blob.indexOf('-') + 1, blob.indexOf('-') + 3)}/${blob}/${index}`;
  return suffix === 'zst' ? `${name}.zst` : name;
}

export class ChunkMissingError extends Error {
  constructor(id: ChunkId) {
    super(`Chunk ${id.blob}#${id.index} is not in the store`);
    this.name = 'ChunkMissingError';
  }
}

/** Where chunk bytes live: local disk (embedded) or S3/MinIO (distributed). */
export interface ChunkStore {
  readonly kind: string;
  /** Byte size of a stored chunk, or undefined when it is not stored. */
  stat(id: ChunkId): Promise<number | undefined>;
  /** Streams bytes [start, end] (inclusive) of a stored chunk; ChunkMissingError if absent. */
  read(id: ChunkId, start?: number, end?: number): Promise<Readable>;
  /** Takes ownership of a complete local file and stores it as the chunk (atomically). */
  putFile(id: ChunkId, localPath: string): Promise<void>;
  delete(id: ChunkId): Promise<void>;
  /** Checks the backend is reachable (health endpoints). */
  ping(): Promise<void>;
  /**
   * Opens a stored chunk for positional reads into the caller's buffers (the hot path of cache
   * hits: no stream pipeline, no buffer allocated per read): a local file, or a remote object's
   * body read in order from `start` (where the first read will be; reads elsewhere cost a new
   * request). Undefined when the store has no such access to this chunk (read() then);
   * ChunkMissingError if absent.
   */
  openFile?(id: ChunkId, start?: number): Promise<ChunkFile | undefined>;
}

/** A stored chunk open for positional reads. */
export interface ChunkFile {
  /** Reads up to `length` bytes at `position` into the start of `into`; 0 at the end of the chunk. */
  read(into: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}
