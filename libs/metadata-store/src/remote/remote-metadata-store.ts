import { ClientProxy } from '@nestjs/microservices';
import { TimeoutError, firstValueFrom, timeout } from 'rxjs';
import { RepoType } from '@dingo/hub-protocol';
import {
  ApiCacheRecord,
  BlobRecord,
  BlobState,
  ChunkRecord,
  ChunkTier,
  CommitManifestRecord,
  PinRecord,
  StorageUsage,
  StoredChunk,
  FileRecord,
  MetadataPort,
  RepoRecord,
  RevisionRecord,
} from '../records';
import {
  ApiCacheWire,
  MetadataMethod,
  MetadataPattern,
  apiCacheFromWire,
  apiCacheToWire,
  metadataPatterns,
  metadataQueue,
} from './metadata-patterns';
import { RedisQueueClient } from './redis-queue-client';
import { RedisQueueEndpoint } from './redis-queue-keys';

/** The metadata service did not answer (down, not subscribed, Redis unreachable) or failed. */
export class MetadataUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataUnavailableError';
  }
}

export interface RemoteMetadataOptions {
  /** Must match the namespace the metadata app's controller was built with. */
  namespace?: string;
  /** Per call, including connecting to Redis (default 5000 ms). */
  timeoutMs?: number;
}

const orUndefined = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

/** The metadata port of a gateway or sync-worker, answered by the metadata app over Redis. */
export class RemoteMetadataStore implements MetadataPort {
  private readonly patterns: Record<MetadataMethod, MetadataPattern>;
  private readonly timeoutMs: number;

  constructor(
    private readonly client: ClientProxy,
    private readonly options: RemoteMetadataOptions = {},
  ) {
    this.patterns = metadataPatterns(options.namespace);
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /**
   * Calls go onto the namespace's metadata queue, where exactly one metadata replica takes each
   * (RedisQueueServer); any number of replicas may serve. `redis`: host, port, password, db.
   */
  static connect(redis: RedisQueueEndpoint, options: RemoteMetadataOptions = {}): RemoteMetadataStore {
    const timeoutMs = options.timeoutMs ?? 5_000;
    const client = new RedisQueueClient({
      redis,
      queue: metadataQueue(options.namespace),
      // A call nobody waits for any more is not worth running.
      requestTtlMs: timeoutMs,
    });
    return new RemoteMetadataStore(client, options);
  }

  async getRevision(
    repoType: RepoType,
    repoId: string,
    revision: string,
  ): Promise<RevisionRecord | undefined> {
    return orUndefined(await this.call<RevisionRecord | null>('getRevision', [repoType, repoId, revision]));
  }
  async putRevision(record: RevisionRecord): Promise<void> {
    await this.call('putRevision', [record]);
  }
  async getFile(
    repoType: RepoType,
    repoId: string,
    commit: string,
    path: string,
  ): Promise<FileRecord | undefined> {
    return orUndefined(await this.call<FileRecord | null>('getFile', [repoType, repoId, commit, path]));
  }
  async putFile(record: FileRecord): Promise<void> {
    await this.call('putFile', [record]);
  }
  async getBlob(key: string): Promise<BlobRecord | undefined> {
    return orUndefined(await this.call<BlobRecord | null>('getBlob', [key]));
  }
  async putBlob(record: BlobRecord): Promise<void> {
    await this.call('putBlob', [record]);
  }
  async setBlobState(key: string, state: BlobState): Promise<void> {
    await this.call('setBlobState', [key, state]);
  }
  async getChunk(blobKey: string, index: number): Promise<ChunkRecord | undefined> {
    return orUndefined(await this.call<ChunkRecord | null>('getChunk', [blobKey, index]));
  }
  async countChunks(blobKey: string): Promise<number> {
    return (await this.call<number | null>('countChunks', [blobKey])) ?? 0;
  }
  async scanChunks(
    after: { blobKey: string; index: number } | undefined,
    limit: number,
  ): Promise<ChunkRecord[]> {
    return (await this.call<ChunkRecord[] | null>('scanChunks', [after ?? null, limit])) ?? [];
  }
  async setChunkPlacement(
    blobKey: string,
    index: number,
    tier: ChunkTier,
    storedSize: number,
  ): Promise<void> {
    await this.call('setChunkPlacement', [blobKey, index, tier, storedSize]);
  }
  async storageUsage(): Promise<StorageUsage[]> {
    return (await this.call<StorageUsage[] | null>('storageUsage', [])) ?? [];
  }
  async leastRecentChunks(tier: ChunkTier, accessedBefore: number, limit: number): Promise<StoredChunk[]> {
    return (await this.call<StoredChunk[] | null>('leastRecentChunks', [tier, accessedBefore, limit])) ?? [];
  }
  async touchBlobs(keys: string[], at: number): Promise<void> {
    await this.call('touchBlobs', [keys, at]);
  }
  async listPins(): Promise<PinRecord[]> {
    return (await this.call<PinRecord[] | null>('listPins', [])) ?? [];
  }
  async putPin(record: PinRecord): Promise<void> {
    await this.call('putPin', [record]);
  }
  async deletePin(repoType: RepoType, repoId: string): Promise<boolean> {
    return (await this.call<boolean | null>('deletePin', [repoType, repoId])) ?? false;
  }
  async pinnedBlobKeys(): Promise<string[]> {
    return (await this.call<string[] | null>('pinnedBlobKeys', [])) ?? [];
  }
  async getManifest(
    repoType: RepoType,
    repoId: string,
    commit: string,
  ): Promise<CommitManifestRecord | undefined> {
    return orUndefined(
      await this.call<CommitManifestRecord | null>('getManifest', [repoType, repoId, commit]),
    );
  }
  async putManifest(record: CommitManifestRecord): Promise<void> {
    await this.call('putManifest', [record]);
  }
  async listChunks(blobKey: string): Promise<ChunkRecord[]> {
    return (await this.call<ChunkRecord[] | null>('listChunks', [blobKey])) ?? [];
  }
  async putChunk(record: ChunkRecord): Promise<void> {
    await this.call('putChunk', [record]);
  }
  async deleteChunk(blobKey: string, index: number): Promise<void> {
    await this.call('deleteChunk', [blobKey, index]);
  }
  async getRepo(key: string): Promise<RepoRecord | undefined> {
    return orUndefined(await this.call<RepoRecord | null>('getRepo', [key]));
  }
  async putRepo(record: RepoRecord): Promise<void> {
    await this.call('putRepo', [record]);
  }
  async getApiCache(key: string): Promise<ApiCacheRecord | undefined> {
    const wire = await this.call<ApiCacheWire | null>('getApiCache', [key]);
    return wire ? apiCacheFromWire(wire) : undefined;
  }
  async putApiCache(record: ApiCacheRecord): Promise<void> {
    await this.call('putApiCache', [apiCacheToWire(record)]);
  }
  async ping(): Promise<void> {
    await this.call('ping', []);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async call<T>(method: MetadataMethod, args: unknown[]): Promise<T | undefined> {
    const pattern = this.patterns[method];
    try {
      const reply$ = this.client.send<T>(pattern, args).pipe(timeout(this.timeoutMs));
      return await firstValueFrom(reply$, { defaultValue: undefined });
    } catch (err) {
      throw new MetadataUnavailableError(this.describe(pattern, err));
    }
  }

  private describe(pattern: MetadataPattern, err: unknown): string {
    const where = this.options.namespace ? ` (namespace "${this.options.namespace}")` : '';
    if (err instanceof TimeoutError) {
      return `The metadata service did not answer ${pattern.cmd} within ${this.timeoutMs} ms: is the metadata app running on the same Redis${where}?`;
    }
    // RpcException payloads from the controller are plain { name, message } objects.
    const message = (err as { message?: unknown })?.message ?? String(err);
    return `Metadata ${pattern.cmd} failed${where}: ${String(message)}`;
  }
}
