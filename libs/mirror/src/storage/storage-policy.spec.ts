import { Logger } from '@nestjs/common';
import { ChunkId, ChunkTiers } from '@dingo/chunk-store';
import { InMemoryChunkStore } from '@dingo/chunk-store/testing';
import { InMemoryMetadataStore } from '@dingo/metadata-store/testing';
import { BlobLedger } from '../blobs/blob-ledger';
import { BlobUsage } from './blob-usage';
import { StorageLimits, StoragePolicy } from './storage-policy';

Logger.overrideLogger(false);

const key = (c: string) => `sha256-${c.repeat(64)}`;
const [A, B, C] = [key('a'), key('b'), key('c')];

describe('StoragePolicy', () => {
  let meta: InMemoryMetadataStore;
  let store: InMemoryChunkStore;
  let usage: BlobUsage;
  beforeEach(async () => {
    jest.spyOn(Date, 'now').mockReturnValue(100_000);
    meta = new InMemoryMetadataStore();
    store = new InMemoryChunkStore();
    usage = new BlobUsage(meta, 60_000);
    // Three blobs of two 10-byte chunks, last read at 1 000, 2 000 and 3 000.
    for (const [blob, at] of [
      [A, 1_000],
      [B, 2_000],
      [C, 3_000],
    ] as const) {
      await meta.putBlob({
        key: blob,
        size: 20,
        chunkSize: 10,
        state: 'verified',
        createdAt: 1,
        lastAccessAt: at,
      });
      for (const index of [0, 1]) {
        await meta.putChunk({ blobKey: blob, index, size: 10, blockSize: 10, blockDigests: '' });
        store.put({ blob, index }, Buffer.alloc(10, index));
      }
    }
  });
  afterEach(async () => {
    await usage.close();
    jest.restoreAllMocks();
  });

  function policy(limits: Partial<StorageLimits>, tiers?: ChunkTiers) {
    return new StoragePolicy(meta, new BlobLedger(meta, store, 10), tiers, usage, {
      maxBytes: 0,
      hotTierBytes: 0,
      minFreeBytes: 0,
      dataDir: '/nonexistent',
      graceMs: 0,
      promoteAfterReads: 2,
      ...limits,
    });
  }
  const blobsLeft = async () =>
    [A, B, C].filter((blob) => store.bytes({ blob, index: 0 }) || store.bytes({ blob, index: 1 }));

  it('over the quota, evicts the least recently read blobs down to 90 % of it', async () => {
    const p = policy({ maxBytes: 45 });
    await p.enforce();
    expect(await blobsLeft()).toEqual([B, C]);
    expect(await meta.countChunks(A)).toBe(0);
    expect((await meta.getBlob(A))!.state).toBe('partial');
    expect(p.stats).toMatchObject({ evictedChunks: 2, evictedBytes: 20 });
  });

  it('under the quota, or with none, evicts nothing', async () => {
    await policy({ maxBytes: 60 }).enforce();
    await policy({}).enforce();
    expect(await blobsLeft()).toEqual([A, B, C]);
  });

  it('reads the usage again only once the chunks landed since may have reached a limit', async () => {
    const p = policy({ maxBytes: 100 }); // 60 bytes stored: 40 may land
    const rounds = () => meta.calls.storageUsage ?? 0;
    await p.enforce();
    const before = rounds();
    p.landed(30);
    p.landed(9);
    await p.enforce(); // one round of its own, none queued by the landings
    expect(rounds()).toBe(before + 1);
    p.landed(39);
    p.landed(1);
    await p.enforce(); // the 40th byte queued a round before it
    expect(rounds()).toBe(before + 3);
  });

  it("never evicts a pinned repo's blobs, a retained blob, or one being read", async () => {
    await meta.putFile({
      repoType: 'model',
      repoId: 'o/pinned',
      commit: 'c'.repeat(40),
      path: 'w.bin',
      size: 20,
      blobId: 'f'.repeat(40),
      sha256: 'a'.repeat(64),
      lfs: true,
      fetchedAt: 1,
    });
    await meta.putPin({ repoType: 'model', repoId: 'o/pinned', pinnedAt: 1, pinnedBy: null });
    const release = usage.hold(C);
    const p = policy({ maxBytes: 20 });
    p.retain(async () => [B]);
    await p.enforce();
    expect(await blobsLeft()).toEqual([A, B, C]);
    expect(p.stats.evictedChunks).toBe(0);
    release();
    await p.enforce();
    expect(await blobsLeft()).toEqual([A, B]);
  });

  it('spares blobs read within the grace period (a reader may be on another node)', async () => {
    const p = policy({ maxBytes: 20, graceMs: 98_500 }); // only A (read at 1 000) is old enough
    await p.enforce();
    expect(await blobsLeft()).toEqual([B, C]);
  });

  it('with a cold tier, demotes the least recently read chunks while the hot tier is over its size', async () => {
    const moved: ChunkId[] = [];
    const tiers: ChunkTiers = {
      demote: async (id) => {
        moved.push(id);
        return { tier: 'cold', storedBytes: 4, compressed: true };
      },
      promote: async () => ({ tier: 'hot', storedBytes: 10, compressed: false }),
    };
    const p = policy({ hotTierBytes: 30 }, tiers);
    await p.enforce();
    // 60 hot bytes, down to 27: four chunks, A's then B's, last chunk first.
    expect(moved).toEqual([
      { blob: A, index: 1 },
      { blob: A, index: 0 },
      { blob: B, index: 1 },
      { blob: B, index: 0 },
    ]);
    expect(await meta.storageUsage()).toEqual(
      expect.arrayContaining([
        { tier: 'hot', bytes: 20, chunks: 2 },
        { tier: 'cold', bytes: 16, chunks: 4 },
      ]),
    );
    expect(p.stats).toMatchObject({ demotedChunks: 4, compressionSavedBytes: 24, evictedChunks: 0 });
  });

  it('brings a cold chunk back to the hot tier once it is read often enough', async () => {
    const promoted: ChunkId[] = [];
    const tiers: ChunkTiers = {
      demote: async () => ({ tier: 'cold', storedBytes: 4, compressed: true }),
      promote: async (id) => {
        promoted.push(id);
        return { tier: 'hot', storedBytes: 10, compressed: false };
      },
    };
    await meta.setChunkPlacement(A, 0, 'cold', 4);
    const p = policy({}, tiers);
    tiers.onColdRead!({ blob: A, index: 0 });
    await p.enforce();
    expect(promoted).toEqual([]);
    tiers.onColdRead!({ blob: A, index: 0 });
    await p.enforce();
    expect(promoted).toEqual([{ blob: A, index: 0 }]);
    expect(p.stats.promotedChunks).toBe(1);
    expect(await meta.leastRecentChunks('cold', 1e9, 10)).toEqual([]);
  });
});
