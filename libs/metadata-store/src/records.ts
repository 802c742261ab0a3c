import { RepoType } from '@dingo/hub-protocol';

/** Plain records exchanged with the metadata port (in-process or over the Redis transport). */
export interface RevisionRecord {
  repoType: RepoType;
  repoId: string;
  revision: string;
  commit: string;
  /** Epoch ms of the upstream answer. */
  fetchedAt: number;
}

export interface FileRecord {
  repoType: RepoType;
  repoId: string;
  commit: string;
  path: string;
  size: number;
  /** Git blob id (for LFS files, of the pointer). */
  blobId: string | null;
  /** Present for LFS files. */
  sha256: string | null;
  lfs: boolean;
  fetchedAt: number;
}

export type BlobState = 'partial' | 'verified' | 'corrupt';

export interface BlobRecord {
  key: string;
  size: number;
  chunkSize: number;
  state: BlobState;
  createdAt: number;
  lastAccessAt: number;
}

export interface ChunkRecord {
  blobKey: string;
  index: number;
  size: number;
  /** Bytes per checksummed block (the last block of a chunk may be shorter); 0 when unknown. */
  blockSize: number;
  /** xxh64 of each block, 16 hex digits per block, in order; '' when unknown (chunks from before block checksums). */
  blockDigests: string;
}

export type ChunkTier = 'hot' | 'cold';

/** Where a stored chunk lies and what it costs, with its blob's last access (for eviction and demotion). */
export interface StoredChunk {
  blobKey: string;
  index: number;
  size: number;
  tier: ChunkTier;
  /** Bytes on disk (compressed on the cold tier when that paid off). */
  storedSize: number;
  blobLastAccessAt: number;
}

export interface StorageUsage {
  tier: ChunkTier;
  bytes: number;
  chunks: number;
}

/** A repo kept in the cache whatever the quota says. */
export interface PinRecord {
  repoType: RepoType;
  repoId: string;
  pinnedAt: number;
  pinnedBy: string | null;
}

/** One file of a commit, as the Hub's info answer (`?blobs=true`) lists it. */
export interface ManifestEntry {
  path: string;
  size: number;
  /** Git blob id (for LFS files, of the pointer file). */
  blobId: string;
  lfs?: { sha256: string; size: number; pointerSize: number };
}

/** Every file of one commit: lets the mirror answer "no such file" and paths-info without upstream. */
export interface CommitManifestRecord {
  repoType: RepoType;
  repoId: string;
  commit: string;
  entries: ManifestEntry[];
  fetchedAt: number;
}

export type RepoVisibility = 'public' | 'gated' | 'private' | 'unknown';

export interface RepoRecord {
  /** `models/org/name`. */
  key: string;
  visibility: RepoVisibility;
  checkedAt: number;
}

export interface ApiCacheRecord {
  key: string;
  repoKey: string;
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  fetchedAt: number;
  /** Addressed by a commit hash: never goes stale. */
  immutable: boolean;
}

/** The metadata plane as the gateway and the sync worker see it. */
export interface MetadataPort {
  getRevision(repoType: RepoType, repoId: string, revision: string): Promise<RevisionRecord | undefined>;
  putRevision(record: RevisionRecord): Promise<void>;
  getFile(repoType: RepoType, repoId: string, commit: string, path: string): Promise<FileRecord | undefined>;
  putFile(record: FileRecord): Promise<void>;
  getBlob(key: string): Promise<BlobRecord | undefined>;
  putBlob(record: BlobRecord): Promise<void>;
  setBlobState(key: string, state: BlobState): Promise<void>;
  /** One chunk's record: the read path asks for exactly the chunk it serves. */
  getChunk(blobKey: string, index: number): Promise<ChunkRecord | undefined>;
  countChunks(blobKey: string): Promise<number>;
  /** All recorded chunks of a blob, in index order (prefetch: which ones are missing). */
  listChunks(blobKey: string): Promise<ChunkRecord[]>;
  /** Chunk records in (blobKey, index) order after `after`, for background scans (the scrub). */
  scanChunks(after: { blobKey: string; index: number } | undefined, limit: number): Promise<ChunkRecord[]>;
  /** Records a chunk (placed on the hot tier, as stored by a pull). */
  putChunk(record: ChunkRecord): Promise<void>;
  deleteChunk(blobKey: string, index: number): Promise<void>;
  /** A chunk moved between tiers. */
  setChunkPlacement(blobKey: string, index: number, tier: ChunkTier, storedSize: number): Promise<void>;
  /** Stored bytes and chunks per tier. */
  storageUsage(): Promise<StorageUsage[]>;
  /**
   * Chunks on `tier` whose blob was last read before `accessedBefore`, least recently read blob
   * first (its last chunk first): the eviction and demotion order.
   */
  leastRecentChunks(tier: ChunkTier, accessedBefore: number, limit: number): Promise<StoredChunk[]>;
  /** Marks blobs read at `at` (batched by the caller: not one write per read). */
  touchBlobs(keys: string[], at: number): Promise<void>;
  listPins(): Promise<PinRecord[]>;
  putPin(record: PinRecord): Promise<void>;
  deletePin(repoType: RepoType, repoId: string): Promise<boolean>;
  /** Blob keys of every file of every pinned repo (never evicted). */
  pinnedBlobKeys(): Promise<string[]>;
  getRepo(key: string): Promise<RepoRecord | undefined>;
  putRepo(record: RepoRecord): Promise<void>;
  getManifest(repoType: RepoType, repoId: string, commit: string): Promise<CommitManifestRecord | undefined>;
  putManifest(record: CommitManifestRecord): Promise<void>;
  getApiCache(key: string): Promise<ApiCacheRecord | undefined>;
  putApiCache(record: ApiCacheRecord): Promise<void>;
  ping(): Promise<void>;
}
