import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Logger } from '@nestjs/common';
import { ChunkId, ChunkStore, chunkName, FsChunkStore } from '@dingo/chunk-store';
import { InMemoryChunkStore } from '@dingo/chunk-store/testing';
import { InMemoryMetadataStore } from '@dingo/metadata-store/testing';
import { BlobLedger } from './blob-ledger';
import { BlobScrubber } from './blob-scrubber';
import { BlockDigester } from './block-digests';

Logger.overrideLogger(false);

const blobKey = `sha256-${'c'.repeat(64)}`;

/** The same checks whether the store streams chunks (S3, memory) or opens them as local files (disk). */
const stores: Array<
  [string, () => { store: ChunkStore; put(id: ChunkId, bytes: Buffer): void; done(): void }]
> = [
  [
    'streamed chunks (in-memory store)',
    () => {
      const store = new InMemoryChunkStore();
      return { store, put: (id, bytes) => store.put(id, bytes), done: () => undefined };
    },
  ],
  [
    'chunks open as local files (disk store)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'dingo-scrub-'));
      const store = new FsChunkStore(dir);
      return {
        store,
        put: (id, bytes) => {
          mkdirSync(dirname(join(dir, chunkName(id))), { recursive: true });
          writeFileSync(join(dir, chunkName(id)), bytes);
        },
        done: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
];

describe.each(stores)('BlobScrubber, %s', (_name, makeStore) => {
  let meta: InMemoryMetadataStore;
  let store: ChunkStore;
  let put: (id: ChunkId, bytes: Buffer) => void;
  let done: () => void;

  async function storeChunk(index: number, bytes: Buffer) {
    const digester = new BlockDigester(16);
    digester.update(bytes);
    put({ blob: blobKey, index }, bytes);
    await meta.putChunk({
      blobKey,
      index,
      size: bytes.length,
      blockSize: 16,
      blockDigests: digester.finish(),
    });
  }

  const scrubber = (bytesPerSecond = 1 << 20) =>
    new BlobScrubber(meta, new BlobLedger(meta, store, 64), store, { bytesPerSecond, pauseMs: 3_600_000 });

  beforeEach(() => {
    meta = new InMemoryMetadataStore();
    ({ store, put, done } = makeStore());
  });
  afterEach(() => done());

  it('a pass checks every stored chunk; a rotted one is dropped', async () => {
    await storeChunk(0, Buffer.alloc(40, 1));
    await storeChunk(1, Buffer.alloc(40, 2));
    put({ blob: blobKey, index: 1 }, Buffer.alloc(40, 3)); // rotted behind the mirror's back
    const s = scrubber();
    await s.pass();
    expect(s.stats).toMatchObject({ passes: 1, chunksChecked: 1, failures: 1 });
    expect(await meta.getChunk(blobKey, 1)).toBeUndefined();
    expect(await meta.getChunk(blobKey, 0)).toBeDefined();
  });

  it("a chunk cut short or grown behind the mirror's back is dropped", async () => {
    await storeChunk(0, Buffer.alloc(40, 1));
    await storeChunk(1, Buffer.alloc(40, 2));
    await storeChunk(2, Buffer.alloc(40, 3));
    put({ blob: blobKey, index: 1 }, Buffer.alloc(30, 2));
    put({ blob: blobKey, index: 2 }, Buffer.alloc(41, 3));
    const s = scrubber();
    await s.pass();
    expect(s.stats).toMatchObject({ passes: 1, chunksChecked: 1, failures: 2 });
    expect(await meta.getChunk(blobKey, 0)).toBeDefined();
    expect(await meta.getChunk(blobKey, 1)).toBeUndefined();
    expect(await meta.getChunk(blobKey, 2)).toBeUndefined();
  });

  it('stop() during a pass returns at once, not after the pause between passes (a SIGTERM hung on it)', async () => {
    for (let i = 0; i < 5; i++) await storeChunk(i, Buffer.alloc(64, i));
    const s = scrubber();
    s.start();
    const stopped = await Promise.race([
      s.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still running after 2 s'), 2_000)),
    ]);
    expect(stopped).toBe('stopped');
  });
});
