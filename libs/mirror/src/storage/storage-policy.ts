import { statfsSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { growingLru } from '@dingo/concurrency';
import { ChunkId, ChunkTiers } from '@dingo/chunk-store';
import { ChunkTier, MetadataPort, StoredChunk } from '@dingo/metadata-store';
import { BlobLedger } from '../blobs/blob-ledger';
import { BlobUsage } from './blob-usage';

export interface StorageLimits {
  /** Stored bytes (all tiers) above which least recently read chunks are evicted; 0 = no quota. */
  maxBytes: number;
  /** Hot-tier bytes above which least recently read chunks move to the cold tier (tiered stores). */
  hotTierBytes: number;
  /** Free space to keep in the data directory: below it, chunks are evicted too. */
  minFreeBytes: number;
  /** Where the data directory is (its file system's free space). */
  dataDir: string;
  /** A blob read this recently is never evicted (its readers may be on another node). */
  graceMs: number;
  /** Reads of a cold chunk (within the LRU of recent cold reads) that bring it back to the hot tier. */
  promoteAfterReads: number;
}

export interface StorageStats {
  evictedChunks: number;
  evictedBytes: number;
  demotedChunks: number;
  promotedChunks: number;
  /** Bytes the cold tier's compression saved on the chunks moved there by this process. */
  compressionSavedBytes: number;
}

/** Something else that must never be evicted (hosted repos' blobs). */
export type RetainedBlobs = () => Promise<Iterable<string>>;

/** Stop an eviction round below this fraction of a limit, so rounds do not run on every chunk. */
const LOW_WATER = 0.9;
const BATCH = 200;

/**
 * The cache manages its own disk: a quota and a free-space floor enforced by evicting chunk files
 * least recently read first (never a blob being read, a recently read one, a pinned repo's or a
 * retained one), and, with a cold tier, chunks nobody read lately moved there (compressed where it
 * pays) and brought back when read again. Evicted chunks are forgotten by the ledger, so a later
 * request pulls them again.
 */
export class StoragePolicy {
  private readonly log = new Logger(StoragePolicy.name);
  private readonly coldReads = growingLru<string, number>(10_000, { ttl: 10 * 60_000 });
  private readonly retainedSources: RetainedBlobs[] = [];
  /** Rounds run one after the other (two at once would each free what the other frees). */
  private rounds: Promise<void> = Promise.resolve();
  private queued = false;
  private stopped = false;
  /**
   * Bytes this process stored since the last round read the usage, and how many could land before
   * a limit is reached by that reading: a round per landed chunk would read the whole store's
   * usage once per chunk (4096 times for a 4 GiB file in 1 MiB chunks).
   */
  private landedBytes = 0;
  private headroom = 0;
  private timer?: NodeJS.Timeout;
  readonly stats: StorageStats = {
    evictedChunks: 0,
    evictedBytes: 0,
    demotedChunks: 0,
    promotedChunks: 0,
    compressionSavedBytes: 0,
  };

  constructor(
    private readonly meta: MetadataPort,
    private readonly ledger: BlobLedger,
    private readonly tiers: ChunkTiers | undefined,
    private readonly usage: BlobUsage,
    private readonly limits: StorageLimits,
  ) {
    if (tiers) tiers.onColdRead = (id) => this.coldRead(id);
  }

  get enforced(): boolean {
    return this.limits.maxBytes > 0 || this.limits.minFreeBytes > 0 || this.tiers !== undefined;
  }

  retain(source: RetainedBlobs): void {
    this.retainedSources.push(source);
  }

  /** Checks the limits every `everyMs`, and when poked (a chunk landed). */
  start(everyMs: number): void {
    if (!this.enforced || this.timer) return;
    this.timer = setInterval(() => this.poke(), everyMs);
    this.timer.unref();
    this.poke();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.rounds;
  }

  /**
   * A chunk of `bytes` was stored: runs a round once the bytes stored since the last one may have
   * reached a limit (the periodic check sees what other nodes stored).
   */
  landed(bytes: number): void {
    this.landedBytes += bytes;
    if (this.landedBytes >= this.headroom) this.poke();
  }

  /** Runs a round soon (pokes while one is queued coalesce into it). */
  poke(): void {
    if (this.stopped || this.queued) return;
    this.queued = true;
    void this.enforce().catch((err) => this.log.warn(`storage round failed: ${(err as Error).message}`));
  }

  /** Runs a round after the one in progress; resolves when it is done. */
  enforce(): Promise<void> {
    const round = this.rounds.then(() => {
      this.queued = false;
      return this.round();
    });
    this.rounds = round.catch(() => undefined);
    return round;
  }

  /** A read was served from the cold tier: read again soon, the chunk goes back to the hot tier. */
  coldRead(id: ChunkId): void {
    const key = `${id.blob}#${id.index}`;
    const n = (this.coldReads.get(key) ?? 0) + 1;
    this.coldReads.set(key, n);
    const tiers = this.tiers;
    if (n < this.limits.promoteAfterReads || !tiers) return;
    this.coldReads.delete(key);
    // Between rounds, never during one (an eviction must not race a move of the same chunk).
    this.rounds = this.rounds.then(async () => {
      if (this.stopped) return;
      if (await this.move(tiers.promote({ blob: id.blob, index: id.index }), id)) this.stats.promotedChunks++;
    });
  }

  /** One round: demote while the hot tier is over its size, evict while over the quota or the floor. */
  private async round(): Promise<void> {
    if (this.stopped) return;
    this.landedBytes = 0;
    const usage = await this.meta.storageUsage();
    const bytes = (tier: ChunkTier) => usage.find((u) => u.tier === tier)?.bytes ?? 0;
    const { maxBytes, hotTierBytes } = this.limits;
    const tiers = this.tiers;
    this.headroom = this.headroomAfter(bytes('hot'), bytes('cold'));
    if (tiers && hotTierBytes > 0 && bytes('hot') > hotTierBytes) {
      await this.shrink('hot', bytes('hot') - hotTierBytes * LOW_WATER, async (chunk) => {
        const placed = await this.move(tiers.demote({ blob: chunk.blobKey, index: chunk.index }), chunk);
        if (!placed) return 0;
        this.stats.demotedChunks++;
        this.stats.compressionSavedBytes += chunk.size - placed;
        return chunk.storedSize;
      });
    }
    const total = bytes('hot') + bytes('cold');
    const overQuota = maxBytes > 0 ? total - maxBytes * LOW_WATER : 0;
    const shortOfFree =
      this.limits.minFreeBytes > 0 ? this.limits.minFreeBytes / LOW_WATER - this.freeBytes() : 0;
    const toFree = Math.max(overQuota > 0 && total > maxBytes ? overQuota : 0, shortOfFree);
    if (toFree <= 0) return;
    let freed = 0;
    for (const tier of tiers ? (['cold', 'hot'] as const) : (['hot'] as const)) {
      if (freed >= toFree) break;
      freed += await this.shrink(tier, toFree - freed, (chunk) => this.evict(chunk));
    }
    if (freed < toFree)
      this.log.warn(
        `could free only ${freed} of ${Math.round(toFree)} bytes: the rest is pinned, retained or in use`,
      );
  }

  /** Bytes that may land before a limit is crossed (a round that frees space leaves more: counted low). */
  private headroomAfter(hot: number, cold: number): number {
    const { maxBytes, hotTierBytes, minFreeBytes } = this.limits;
    let room = Infinity;
    if (maxBytes > 0) room = Math.min(room, maxBytes - hot - cold);
    if (this.tiers && hotTierBytes > 0) room = Math.min(room, hotTierBytes - hot);
    if (minFreeBytes > 0) room = Math.min(room, this.freeBytes() - minFreeBytes);
    return Math.max(0, room);
  }

  /** Applies `act` to the least recently read chunks of `tier` until `target` bytes are freed there. */
  private async shrink(
    tier: ChunkTier,
    target: number,
    act: (chunk: StoredChunk) => Promise<number>,
  ): Promise<number> {
    const keep = await this.retainedBlobs();
    let freed = 0;
    const skipped = new Set<string>();
    while (freed < target && !this.stopped) {
      // Skipped chunks come back in every batch: ask for that many more.
      const limit = BATCH + skipped.size;
      const batch = await this.meta.leastRecentChunks(tier, Date.now() - this.limits.graceMs, limit);
      const candidates = batch.filter((c) => !skipped.has(`${c.blobKey}#${c.index}`));
      if (!candidates.length) break;
      for (const chunk of candidates) {
        if (freed >= target || this.stopped) break;
        if (keep.has(chunk.blobKey) || this.usage.isHeld(chunk.blobKey)) {
          skipped.add(`${chunk.blobKey}#${chunk.index}`);
          continue;
        }
        const got = await act(chunk);
        if (got === 0) skipped.add(`${chunk.blobKey}#${chunk.index}`);
        freed += got;
      }
      if (batch.length < limit) break;
    }
    return freed;
  }

  private async evict(chunk: StoredChunk): Promise<number> {
    await this.ledger.drop(
      { blob: chunk.blobKey, index: chunk.index },
      'evicted (least recently read)',
      'debug',
    );
    this.stats.evictedChunks++;
    this.stats.evictedBytes += chunk.storedSize;
    return chunk.storedSize;
  }

  /** Records a tier move in the ledger; resolves with the bytes it now takes (0 when it failed). */
  private async move(
    moving: Promise<{ tier: ChunkTier; storedBytes: number }>,
    chunk: { blobKey: string; index: number } | ChunkId,
  ): Promise<number> {
    const id = 'blobKey' in chunk ? { blob: chunk.blobKey, index: chunk.index } : chunk;
    try {
      const placed = await moving;
      await this.meta.setChunkPlacement(id.blob, id.index, placed.tier, placed.storedBytes);
      return placed.storedBytes;
    } catch (err) {
      this.log.warn(`chunk ${id.blob}#${id.index} not moved: ${(err as Error).message}`);
      return 0;
    }
  }

  private async retainedBlobs(): Promise<Set<string>> {
    const keep = new Set(await this.meta.pinnedBlobKeys());
    for (const source of this.retainedSources) for (const key of await source()) keep.add(key);
    return keep;
  }

  private freeBytes(): number {
    const st = statfsSync(this.limits.dataDir);
    return st.bavail * st.bsize;
  }
}
