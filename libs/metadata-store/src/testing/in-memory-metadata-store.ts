import { RepoType } from '@dingo/hub-protocol';
import {
  ApiCacheRecord,
  BlobRecord,
  BlobState,
  ChunkRecord,
  ChunkTier,
  CommitManifestRecord,
  FileRecord,
  MetadataPort,
  PinRecord,
  RepoRecord,
  RevisionRecord,
  StorageUsage,
  StoredChunk,
} from '../records';

interface ChunkRow extends ChunkRecord {
  tier: ChunkTier;
  /** null: uncompressed, `size` bytes on disk. */
  storedSize: number | null;
}

/**
 * The metadata port in plain maps, for unit tests of what sits on it (the mirror's services). It
 * passes the same contract suite as the TypeORM and Redis-transport adapters, so a test that uses
 * it sees the behaviour production sees. Records go in and come out as copies.
 */
export class InMemoryMetadataStore implements MetadataPort {
  private readonly revisions = new Map<string, RevisionRecord>();
  private readonly files = new Map<string, FileRecord>();
  private readonly blobs = new Map<string, BlobRecord>();
  private readonly chunks = new Map<string, ChunkRow>();
  private readonly pins = new Map<string, PinRecord>();
  private readonly repos = new Map<string, RepoRecord>();
  private readonly manifests = new Map<string, CommitManifestRecord>();
  private readonly apiCache = new Map<string, ApiCacheRecord>();
  /** Calls per method, for tests that count round trips. */
  readonly calls: Record<string, number> = {};

  constructor() {
    // Count every call of the port's methods without repeating it in each one.
    for (const name of Object.getOwnPropertyNames(InMemoryMetadataStore.prototype)) {
      const method = (this as unknown as Record<string, unknown>)[name];
      if (name === 'constructor' || typeof method !== 'function') continue;
      (this as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        this.calls[name] = (this.calls[name] ?? 0) + 1;
        return (method as (...a: unknown[]) => unknown).apply(this, args);
      };
    }
  }

  async getRevision(repoType: RepoType, repoId: string, revision: string) {
    return copy(this.revisions.get(`${repoType}/${repoId}@${revision}`));
  }

  async putRevision(r: RevisionRecord): Promise<void> {
    this.revisions.set(`${r.repoType}/${r.repoId}@${r.revision}`, { ...r });
  }

  async getFile(repoType: RepoType, repoId: string, commit: string, path: string) {
    return copy(this.files.get(`${repoType}/${repoId}@${commit}:${path}`));
  }

  async putFile(r: FileRecord): Promise<void> {
    this.files.set(`${r.repoType}/${r.repoId}@${r.commit}:${r.path}`, { ...r });
  }

  async getBlob(key: string) {
    return copy(this.blobs.get(key));
  }

  async putBlob(r: BlobRecord): Promise<void> {
    this.blobs.set(r.key, { ...r });
  }

  async setBlobState(key: string, state: BlobState): Promise<void> {
    const blob = this.blobs.get(key);
    if (blob) Object.assign(blob, { state, lastAccessAt: Date.now() });
  }

  async getChunk(blobKey: string, index: number): Promise<ChunkRecord | undefined> {
    const row = this.chunks.get(chunkKey(blobKey, index));
    return row && chunkRecord(row);
  }

  async countChunks(blobKey: string): Promise<number> {
    return rowsOf(this.chunks, blobKey).length;
  }

  async listChunks(blobKey: string): Promise<ChunkRecord[]> {
    return rowsOf(this.chunks, blobKey).map(chunkRecord);
  }

  async scanChunks(
    after: { blobKey: string; index: number } | undefined,
    limit: number,
  ): Promise<ChunkRecord[]> {
    return sortedRows(this.chunks)
      .filter(
        (c) => !after || c.blobKey > after.blobKey || (c.blobKey === after.blobKey && c.index > after.index),
      )
      .slice(0, limit)
      .map(chunkRecord);
  }

  async putChunk(r: ChunkRecord): Promise<void> {
    // A chunk (re)stored by a pull lands on the hot tier, uncompressed.
    this.chunks.set(chunkKey(r.blobKey, r.index), { ...r, tier: 'hot', storedSize: null });
  }

  async deleteChunk(blobKey: string, index: number): Promise<void> {
    this.chunks.delete(chunkKey(blobKey, index));
  }

  async setChunkPlacement(blobKey: string, index: number, tier: ChunkTier, storedSize: number) {
    const row = this.chunks.get(chunkKey(blobKey, index));
    if (row) Object.assign(row, { tier, storedSize });
  }

  async storageUsage(): Promise<StorageUsage[]> {
    const usage = new Map<ChunkTier, StorageUsage>();
    for (const c of this.chunks.values()) {
      const u = usage.get(c.tier) ?? { tier: c.tier, bytes: 0, chunks: 0 };
      u.bytes += c.storedSize ?? c.size;
      u.chunks++;
      usage.set(c.tier, u);
    }
    return [...usage.values()];
  }

  async leastRecentChunks(tier: ChunkTier, accessedBefore: number, limit: number): Promise<StoredChunk[]> {
    const rows: StoredChunk[] = [];
    for (const c of this.chunks.values()) {
      const blob = this.blobs.get(c.blobKey);
      if (!blob || c.tier !== tier || !(blob.lastAccessAt < accessedBefore)) continue;
      rows.push({
        blobKey: c.blobKey,
        index: c.index,
        size: c.size,
        tier: c.tier,
        storedSize: c.storedSize ?? c.size,
        blobLastAccessAt: blob.lastAccessAt,
      });
    }
    rows.sort(
      (a, b) => a.blobLastAccessAt - b.blobLastAccessAt || compare(a.blobKey, b.blobKey) || b.index - a.index,
    );
    return rows.slice(0, limit);
  }

  async touchBlobs(keys: string[], at: number): Promise<void> {
    for (const key of keys) {
      const blob = this.blobs.get(key);
      if (blob) blob.lastAccessAt = at;
    }
  }

  async listPins(): Promise<PinRecord[]> {
    return [...this.pins.values()]
      .sort((a, b) => compare(a.repoType, b.repoType) || compare(a.repoId, b.repoId))
      .map((p) => ({ ...p }));
  }

  async putPin(r: PinRecord): Promise<void> {
    this.pins.set(`${r.repoType}/${r.repoId}`, { ...r });
  }

  async deletePin(repoType: RepoType, repoId: string): Promise<boolean> {
    return this.pins.delete(`${repoType}/${repoId}`);
  }

  async pinnedBlobKeys(): Promise<string[]> {
    const keys = new Set<string>();
    for (const pin of this.pins.values())
      for (const f of this.files.values())
        if (f.repoType === pin.repoType && f.repoId === pin.repoId)
          keys.add(f.lfs && f.sha256 ? `sha256-${f.sha256}` : `gitsha1-${f.blobId}`);
    return [...keys];
  }

  async getRepo(key: string) {
    return copy(this.repos.get(key));
  }

  async putRepo(r: RepoRecord): Promise<void> {
    this.repos.set(r.key, { ...r });
  }

  async getManifest(repoType: RepoType, repoId: string, commit: string) {
    const record = this.manifests.get(`${repoType}/${repoId}@${commit}`);
    return record && structuredClone(record);
  }

  async putManifest(r: CommitManifestRecord): Promise<void> {
    this.manifests.set(`${r.repoType}/${r.repoId}@${r.commit}`, structuredClone(r));
  }

  async getApiCache(key: string): Promise<ApiCacheRecord | undefined> {
    const record = this.apiCache.get(key);
    return record && { ...record, headers: { ...record.headers }, body: Buffer.from(record.body) };
  }

  async putApiCache(r: ApiCacheRecord): Promise<void> {
    this.apiCache.set(r.key, { ...r, headers: { ...r.headers }, body: Buffer.from(r.body) });
  }

  async ping(): Promise<void> {
    return undefined;
  }
}

// Outside the class: `calls` counts the port's methods, not these helpers.
function rowsOf(chunks: Map<string, ChunkRow>, blobKey: string): ChunkRow[] {
  return [...chunks.values()].filter((c) => c.blobKey === blobKey).sort((a, b) => a.index - b.index);
}

function sortedRows(chunks: Map<string, ChunkRow>): ChunkRow[] {
  return [...chunks.values()].sort((a, b) => compare(a.blobKey, b.blobKey) || a.index - b.index);
}

function chunkKey(blobKey: string, index: number): string {
  return `${blobKey}#${index}`;
}

function chunkRecord(row: ChunkRow): ChunkRecord {
  const { tier: _tier, storedSize: _stored, ...chunk } = row;
  return { ...chunk, blockDigests: chunk.blockDigests ?? '' };
}

function copy<T extends object>(record: T | undefined): T | undefined {
  return record && { ...record };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
