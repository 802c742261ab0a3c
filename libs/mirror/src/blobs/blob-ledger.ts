import { Logger } from '@nestjs/common';
import { growingLru } from '@dingo/concurrency';
import { ChunkId, ChunkStore } from '@dingo/chunk-store';
import { BlobState, ChunkRecord, MetadataPort } from '@dingo/metadata-store';
import { BlobPlan } from './blob-plan';

/** What the ledger needs to know of a file to lay out its blob. */
export interface BlobIdentity {
  blobKey: string;
  size: number;
}

/**
 * The one owner of blob and chunk state: how a blob is cut into chunks, which chunks are recorded
 * (with their block digests), whether the blob hashed to its name. Everyone else asks it about
 * exactly the chunk they handle. Chunk records never change once written (a bad chunk is dropped,
 * then recorded anew), so they are cached in memory; so is the `verified` state.
 */
export class BlobLedger {
  private readonly log = new Logger(BlobLedger.name);
  private readonly chunks = growingLru<string, ChunkRecord>(50_000);
  private readonly verified = growingLru<string, true>(100_000);
  private readonly dropListeners: Array<(id: ChunkId) => void> = [];

  constructor(
    private readonly meta: MetadataPort,
    private readonly store: ChunkStore,
    private readonly chunkSize: number,
  ) {}

  /** The blob's chunk layout; fixed at its first pull so a config change never splits a blob twice. */
  async plan(file: BlobIdentity): Promise<BlobPlan> {
    const existing = await this.meta.getBlob(file.blobKey);
    if (existing && existing.size === file.size) {
      if (existing.state === 'verified') this.verified.set(file.blobKey, true);
      // A blob that failed verification is pulled again from scratch.
      if (existing.state === 'corrupt') await this.meta.setBlobState(file.blobKey, 'partial');
      return { key: file.blobKey, size: existing.size, chunkSize: existing.chunkSize };
    }
    const now = Date.now();
    const plan = { key: file.blobKey, size: file.size, chunkSize: this.chunkSize };
    await this.meta.putBlob({ ...plan, state: 'partial', createdAt: now, lastAccessAt: now });
    return plan;
  }

  async chunk(id: ChunkId): Promise<ChunkRecord | undefined> {
    const name = nameOf(id);
    const cached = this.chunks.get(name);
    if (cached) return cached;
    const record = await this.meta.getChunk(id.blob, id.index);
    if (record) this.chunks.set(name, record);
    return record;
  }

  /** Recorded and present in the store with the recorded size (a cluster peer may have stored it). */
  async stored(id: ChunkId): Promise<ChunkRecord | undefined> {
    const record = await this.chunk(id);
    if (!record) return undefined;
    if ((await this.store.stat(id)) === record.size) return record;
    this.chunks.delete(nameOf(id));
    return undefined;
  }

  count(blobKey: string): Promise<number> {
    return this.meta.countChunks(blobKey);
  }

  /** Recorded chunk indexes of a blob, in one query (prefetch: which ones are missing). */
  async recordedIndexes(blobKey: string): Promise<Set<number>> {
    return new Set((await this.meta.listChunks(blobKey)).map((c) => c.index));
  }

  async record(chunk: ChunkRecord): Promise<void> {
    // A chunk recorded anew means the blob was incomplete: its state is read again when asked.
    this.verified.delete(chunk.blobKey);
    await this.meta.putChunk(chunk);
    this.chunks.set(nameOf({ blob: chunk.blobKey, index: chunk.index }), chunk);
  }

  /** Called whenever a chunk is dropped, so memories of it elsewhere (recent downloads) go too. */
  onDrop(listener: (id: ChunkId) => void): void {
    this.dropListeners.push(listener);
  }

  /** Forgets a chunk and deletes its bytes (it vanished, rotted, or its blob failed verification). */
  async drop(id: ChunkId, why: string, level: 'warn' | 'debug' = 'warn'): Promise<void> {
    this.log[level](`dropping chunk ${nameOf(id)}: ${why}`);
    this.forgotten(id);
    this.verified.delete(id.blob);
    await this.meta.deleteChunk(id.blob, id.index);
    await this.store.delete(id);
    await this.meta.setBlobState(id.blob, 'partial');
  }

  /** Deletes every chunk of a blob (an admin removed the repos that used it). */
  async forgetBlob(blobKey: string): Promise<void> {
    this.verified.delete(blobKey);
    for (const chunk of await this.meta.listChunks(blobKey)) {
      const id = { blob: blobKey, index: chunk.index };
      this.forgotten(id);
      await this.store.delete(id);
      await this.meta.deleteChunk(blobKey, chunk.index);
    }
    await this.meta.setBlobState(blobKey, 'partial');
  }

  private forgotten(id: ChunkId): void {
    this.chunks.delete(nameOf(id));
    for (const listener of this.dropListeners) listener(id);
  }

  async isVerified(blobKey: string): Promise<boolean> {
    if (this.verified.get(blobKey)) return true;
    const blob = await this.meta.getBlob(blobKey);
    if (blob?.state !== 'verified') return false;
    this.verified.set(blobKey, true);
    return true;
  }

  async setState(blobKey: string, state: BlobState): Promise<void> {
    if (state === 'verified') this.verified.set(blobKey, true);
    else this.verified.delete(blobKey);
    await this.meta.setBlobState(blobKey, state);
  }
}

function nameOf(id: ChunkId): string {
  return `${id.blob}#${id.index}`;
}
