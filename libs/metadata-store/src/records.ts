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
  sha256: string;
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
  listChunks(blobKey: string): Promise<ChunkRecord[]>;
  putChunk(record: ChunkRecord): Promise<void>;
  deleteChunk(blobKey: string, index: number): Promise<void>;
  getRepo(key: string): Promise<RepoRecord | undefined>;
  putRepo(record: RepoRecord): Promise<void>;
  getApiCache(key: string): Promise<ApiCacheRecord | undefined>;
  putApiCache(record: ApiCacheRecord): Promise<void>;
  ping(): Promise<void>;
}
