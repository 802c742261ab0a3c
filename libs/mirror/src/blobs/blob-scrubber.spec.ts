import { Logger } from '@nestjs/common';
import { InMemoryChunkStore } from '@dingo/chunk-store/testing';
import { InMemoryMetadataStore } from '@dingo/metadata-store/testing';
import { BlobLedger } from './blob-ledger';
import { BlobScrubber } from './blob-scrubber';
import { BlockDigester } from './block-digests';

Logger.overrideLogger(false);

const blobKey = `sha256-${'c'.repeat(64)}`;

describe('BlobScrubber', () => {
  let meta: InMemoryMetadataStore;
  let store: InMemoryChunkStore;

  async function storeChunk(index: number, bytes: Buffer) {
    const digester = new BlockDigester(16);
    digester.update(bytes);
    store.put({ blob: blobKey, index }, bytes);
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
    store = new InMemoryChunkStore();
  });

  it('a pass checks every stored chunk; a rotted one is dropped', async () => {
    await storeChunk(0, Buffer.alloc(40, 1));
    await storeChunk(1, Buffer.alloc(40, 2));
    store.put({ blob: blobKey, index: 1 }, Buffer.alloc(40, 3)); // rotted behind the mirror's back
    const s = scrubber();
    await s.pass();
    expect(s.stats).toMatchObject({ passes: 1, chunksChecked: 1, failures: 1 });
    expect(await meta.getChunk(blobKey, 1)).toBeUndefined();
    expect(await meta.getChunk(blobKey, 0)).toBeDefined();
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
