import { ApiCacheRecord, FileRecord, MetadataPort } from './records';

export interface MetadataPortFixture {
  /** A port over an empty, migrated store. */
  create(): Promise<MetadataPort>;
  /** Releases connections, databases, servers. */
  close?(): Promise<void>;
}

/**
 * The round trips every MetadataPort must give back unchanged: TypeORM on SQLite and on MySQL,
 * and the Redis-transport client (which adds JSON on the wire). Each backend's spec runs it.
 */
export function metadataPortContract(name: string, fixture: MetadataPortFixture) {
  describe(`MetadataPort contract: ${name}`, () => {
    let store: MetadataPort;
    beforeAll(async () => {
      store = await fixture.create();
    }, 30_000);
    afterAll(async () => fixture.close?.(), 30_000);

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('upserts and reads revisions, including PR refs', async () => {
      await store.putRevision({
        repoType: 'model',
        repoId: 'o/m',
        revision: 'main',
        commit: 'a'.repeat(40),
        fetchedAt: 1,
      });
      await store.putRevision({
        repoType: 'model',
        repoId: 'o/m',
        revision: 'main',
        commit: 'b'.repeat(40),
        fetchedAt: 2,
      });
      await store.putRevision({
        repoType: 'dataset',
        repoId: 'o/d',
        revision: 'refs/pr/12',
        commit: 'c'.repeat(40),
        fetchedAt: 1_764_100_000_000,
      });
      expect(await store.getRevision('model', 'o/m', 'main')).toMatchObject({
        repoType: 'model',
        repoId: 'o/m',
        revision: 'main',
        commit: 'b'.repeat(40),
        fetchedAt: 2,
      });
      expect(await store.getRevision('dataset', 'o/d', 'refs/pr/12')).toMatchObject({
        commit: 'c'.repeat(40),
        fetchedAt: 1_764_100_000_000,
      });
      expect(await store.getRevision('dataset', 'o/m', 'main')).toBeUndefined();
    });

    it('round-trips LFS and regular files, with sizes past 4 GiB and non-ASCII paths', async () => {
      const lfs: FileRecord = {
        repoType: 'model',
        repoId: 'o/m',
        commit: 'b'.repeat(40),
        path: 'a/b.bin',
        size: 5_000_000_000,
        blobId: 'c'.repeat(40),
        sha256: 'd'.repeat(64),
        lfs: true,
        fetchedAt: 3,
      };
      const plain: FileRecord = { ...lfs, path: 'docs/日本語 ü.md', size: 12, sha256: null, lfs: false };
      await store.putFile(lfs);
      await store.putFile(plain);
      expect(await store.getFile('model', 'o/m', 'b'.repeat(40), 'a/b.bin')).toEqual(lfs);
      expect(await store.getFile('model', 'o/m', 'b'.repeat(40), 'docs/日本語 ü.md')).toEqual(plain);
      expect(await store.getFile('model', 'o/m', 'b'.repeat(40), 'nope')).toBeUndefined();
      await store.putFile({ ...lfs, size: 6, fetchedAt: 4 });
      expect(await store.getFile('model', 'o/m', 'b'.repeat(40), 'a/b.bin')).toMatchObject({
        size: 6,
        fetchedAt: 4,
      });
    });

    it('tracks blob state and touches lastAccessAt when it changes', async () => {
      const key = `sha256-${'1'.repeat(64)}`;
      await store.putBlob({
        key,
        size: 10_000_000_000,
        chunkSize: 16 * 1024 * 1024,
        state: 'partial',
        createdAt: 1,
        lastAccessAt: 1,
      });
      await store.setBlobState(key, 'verified');
      const blob = await store.getBlob(key);
      expect(blob).toMatchObject({
        key,
        size: 10_000_000_000,
        chunkSize: 16 * 1024 * 1024,
        state: 'verified',
        createdAt: 1,
      });
      expect(blob!.lastAccessAt).toBeGreaterThan(1);
      expect(await store.getBlob('sha256-missing')).toBeUndefined();
      await expect(store.setBlobState('sha256-missing', 'corrupt')).resolves.toBeUndefined();
    });

    it('gets, counts, lists, scans, upserts and deletes chunks with their block digests', async () => {
      const blobKey = `sha256-${'2'.repeat(64)}`;
      const other = `sha256-${'3'.repeat(64)}`;
      const chunk = (index: number, size: number, digests: string) => ({
        blobKey,
        index,
        size,
        blockSize: 1_048_576,
        blockDigests: digests,
      });
      await store.putChunk(chunk(1, 4, 'e'.repeat(16)));
      await store.putChunk(chunk(0, 4, 'f'.repeat(32)));
      await store.putChunk(chunk(10, 2, '0'.repeat(16)));
      await store.putChunk(chunk(1, 3, '9'.repeat(16)));
      await store.putChunk({ blobKey: other, index: 0, size: 7, blockSize: 0, blockDigests: '' });
      expect(await store.listChunks(blobKey)).toEqual([
        chunk(0, 4, 'f'.repeat(32)),
        chunk(1, 3, '9'.repeat(16)),
        chunk(10, 2, '0'.repeat(16)),
      ]);
      expect(await store.getChunk(blobKey, 10)).toEqual(chunk(10, 2, '0'.repeat(16)));
      expect(await store.getChunk(blobKey, 2)).toBeUndefined();
      expect(await store.getChunk(other, 0)).toEqual({
        blobKey: other,
        index: 0,
        size: 7,
        blockSize: 0,
        blockDigests: '',
      });
      expect(await store.countChunks(blobKey)).toBe(3);
      const firstTwo = await store.scanChunks(undefined, 2);
      expect(firstTwo.map((c) => [c.blobKey, c.index])).toEqual([
        [blobKey, 0],
        [blobKey, 1],
      ]);
      const rest = await store.scanChunks({ blobKey, index: 1 }, 10);
      expect(rest.map((c) => [c.blobKey, c.index])).toEqual([
        [blobKey, 10],
        [other, 0],
      ]);
      expect(await store.scanChunks({ blobKey: other, index: 0 }, 10)).toEqual([]);
      await store.deleteChunk(blobKey, 0);
      await store.deleteChunk(blobKey, 0);
      expect((await store.listChunks(blobKey)).map((c) => c.index)).toEqual([1, 10]);
      expect(await store.countChunks(blobKey)).toBe(2);
      expect(await store.listChunks('sha256-none')).toEqual([]);
      expect(await store.countChunks('sha256-none')).toBe(0);
    });

    it('places chunks on tiers, sums usage per tier, and lists them least recently read first', async () => {
      const old = `sha256-${'4'.repeat(64)}`;
      const fresh = `sha256-${'5'.repeat(64)}`;
      for (const [key, at] of [
        [old, 1_000],
        [fresh, 2_000],
      ] as const) {
        await store.putBlob({
          key,
          size: 30,
          chunkSize: 10,
          state: 'verified',
          createdAt: 1,
          lastAccessAt: at,
        });
        for (const index of [0, 1, 2])
          await store.putChunk({
            blobKey: key,
            index,
            size: 10,
            blockSize: 10,
            blockDigests: 'a'.repeat(16),
          });
      }
      await store.setChunkPlacement(old, 2, 'cold', 4);
      const usage = Object.fromEntries((await store.storageUsage()).map((u) => [u.tier, u]));
      expect(usage.cold).toEqual({ tier: 'cold', bytes: 4, chunks: 1 });
      expect(usage.hot.chunks).toBeGreaterThanOrEqual(5);
      const hot = await store.leastRecentChunks('hot', 1_500, 10);
      expect(hot.map((c) => [c.blobKey, c.index])).toEqual([
        [old, 1],
        [old, 0],
      ]);
      expect(hot[0]).toMatchObject({ size: 10, storedSize: 10, tier: 'hot', blobLastAccessAt: 1_000 });
      expect(await store.leastRecentChunks('cold', 1_500, 10)).toEqual([
        { blobKey: old, index: 2, size: 10, tier: 'cold', storedSize: 4, blobLastAccessAt: 1_000 },
      ]);
      await store.touchBlobs([old], 3_000);
      expect((await store.leastRecentChunks('hot', 2_500, 10)).map((c) => c.blobKey)).toEqual([
        fresh,
        fresh,
        fresh,
      ]);
      // Stored again by a pull: back on the hot tier at full size.
      await store.putChunk({ blobKey: old, index: 2, size: 10, blockSize: 10, blockDigests: 'a'.repeat(16) });
      expect(await store.leastRecentChunks('cold', 10_000, 10)).toEqual([]);
    });

    it('pins repos and resolves them to the blobs of their files', async () => {
      const file: FileRecord = {
        repoType: 'model',
        repoId: 'o/pinned',
        commit: 'e'.repeat(40),
        path: 'w.safetensors',
        size: 5,
        blobId: 'f'.repeat(40),
        sha256: '6'.repeat(64),
        lfs: true,
        fetchedAt: 1,
      };
      await store.putFile(file);
      await store.putFile({ ...file, path: 'config.json', sha256: null, lfs: false, blobId: '7'.repeat(40) });
      expect(await store.pinnedBlobKeys()).toEqual([]);
      await store.putPin({ repoType: 'model', repoId: 'o/pinned', pinnedAt: 9, pinnedBy: 'admin' });
      await store.putPin({ repoType: 'model', repoId: 'o/pinned', pinnedAt: 10, pinnedBy: null });
      expect(await store.listPins()).toEqual([
        { repoType: 'model', repoId: 'o/pinned', pinnedAt: 10, pinnedBy: null },
      ]);
      expect((await store.pinnedBlobKeys()).sort()).toEqual([
        `gitsha1-${'7'.repeat(40)}`,
        `sha256-${'6'.repeat(64)}`,
      ]);
      expect(await store.deletePin('model', 'o/pinned')).toBe(true);
      expect(await store.deletePin('model', 'o/pinned')).toBe(false);
      expect(await store.pinnedBlobKeys()).toEqual([]);
    });

    it('keeps commit manifests, LFS entries and non-ASCII paths included', async () => {
      const record = {
        repoType: 'model' as const,
        repoId: 'o/m',
        commit: 'b'.repeat(40),
        entries: [
          { path: 'config.json', size: 12, blobId: 'c'.repeat(40) },
          {
            path: 'w/日本語.safetensors',
            size: 5_000_000_000,
            blobId: 'd'.repeat(40),
            lfs: { sha256: 'e'.repeat(64), size: 5_000_000_000, pointerSize: 134 },
          },
        ],
        fetchedAt: 5,
      };
      await store.putManifest(record);
      expect(await store.getManifest('model', 'o/m', 'b'.repeat(40))).toEqual(record);
      expect(await store.getManifest('dataset', 'o/m', 'b'.repeat(40))).toBeUndefined();
      await store.putManifest({ ...record, entries: [], fetchedAt: 6 });
      expect(await store.getManifest('model', 'o/m', 'b'.repeat(40))).toMatchObject({
        entries: [],
        fetchedAt: 6,
      });
    });

    it('upserts repo visibility', async () => {
      await store.putRepo({ key: 'models/o/gated', visibility: 'unknown', checkedAt: 1 });
      await store.putRepo({ key: 'models/o/gated', visibility: 'gated', checkedAt: 2 });
      expect(await store.getRepo('models/o/gated')).toEqual({
        key: 'models/o/gated',
        visibility: 'gated',
        checkedAt: 2,
      });
      expect(await store.getRepo('models/o/none')).toBeUndefined();
    });

    it('keeps API cache bodies byte for byte', async () => {
      const record: ApiCacheRecord = {
        key: 'k'.repeat(64),
        repoKey: 'models/o/m',
        url: '/api/models/o/m?expand=siblings',
        status: 200,
        headers: { etag: 'x', 'content-type': 'application/json' },
        body: Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
        fetchedAt: 1,
        immutable: true,
      };
      await store.putApiCache(record);
      const cached = await store.getApiCache(record.key);
      expect(Buffer.isBuffer(cached?.body)).toBe(true);
      expect(cached).toEqual(record);
      await store.putApiCache({ ...record, status: 404, body: Buffer.alloc(0), immutable: false });
      expect(await store.getApiCache(record.key)).toMatchObject({
        status: 404,
        body: Buffer.alloc(0),
        immutable: false,
      });
      expect(await store.getApiCache('m'.repeat(64))).toBeUndefined();
    });
  });
}
