import { Logger } from '@nestjs/common';
import { InMemoryChunkStore } from '@dingo/chunk-store/testing';
import { InMemoryMetadataStore } from '@dingo/metadata-store/testing';
import { BlobLedger } from './blob-ledger';

Logger.overrideLogger(false);

const blobKey = `sha256-${'a'.repeat(64)}`;
const record = (index: number, size = 16) => ({
  blobKey,
  index,
  size,
  blockSize: 16,
  blockDigests: 'f'.repeat(16),
});

describe('BlobLedger', () => {
  let meta: InMemoryMetadataStore;
  let store: InMemoryChunkStore;
  let ledger: BlobLedger;
  beforeEach(() => {
    meta = new InMemoryMetadataStore();
    store = new InMemoryChunkStore();
    ledger = new BlobLedger(meta, store, 16);
  });

  it("fixes a blob's chunk size at its first plan: a later config change does not split it twice", async () => {
    expect(await ledger.plan({ blobKey, size: 40 })).toEqual({ key: blobKey, size: 40, chunkSize: 16 });
    const reconfigured = new BlobLedger(meta, store, 64);
    expect(await reconfigured.plan({ blobKey, size: 40 })).toEqual({ key: blobKey, size: 40, chunkSize: 16 });
    expect((await meta.getBlob(blobKey))!.state).toBe('partial');
    // The same name with another size is another layout.
    expect(await reconfigured.plan({ blobKey, size: 100 })).toMatchObject({ chunkSize: 64 });
  });

  it('a blob that failed verification is planned again as partial (pulled from scratch)', async () => {
    await ledger.plan({ blobKey, size: 40 });
    await ledger.setState(blobKey, 'corrupt');
    await ledger.plan({ blobKey, size: 40 });
    expect((await meta.getBlob(blobKey))!.state).toBe('partial');
  });

  it('answers about exactly one chunk, and remembers its record (one metadata call)', async () => {
    await ledger.record(record(3));
    const fresh = new BlobLedger(meta, store, 16);
    expect(await fresh.chunk({ blob: blobKey, index: 3 })).toEqual(record(3));
    expect(await fresh.chunk({ blob: blobKey, index: 3 })).toEqual(record(3));
    expect(meta.calls.getChunk).toBe(1);
    expect(meta.calls.listChunks).toBeUndefined();
    expect(await fresh.chunk({ blob: blobKey, index: 4 })).toBeUndefined();
  });

  it('stored: recorded and in the store with the recorded size', async () => {
    await ledger.record(record(0));
    expect(await ledger.stored({ blob: blobKey, index: 0 })).toBeUndefined();
    store.put({ blob: blobKey, index: 0 }, Buffer.alloc(15));
    expect(await ledger.stored({ blob: blobKey, index: 0 })).toBeUndefined();
    store.put({ blob: blobKey, index: 0 }, Buffer.alloc(16));
    expect(await ledger.stored({ blob: blobKey, index: 0 })).toEqual(record(0));
  });

  it('drop forgets a chunk everywhere: record, bytes, verified state, and tells its listeners', async () => {
    await ledger.plan({ blobKey, size: 32 });
    for (const index of [0, 1]) {
      await ledger.record(record(index));
      store.put({ blob: blobKey, index }, Buffer.alloc(16));
    }
    await ledger.setState(blobKey, 'verified');
    const dropped: unknown[] = [];
    ledger.onDrop((id) => dropped.push(id));
    await ledger.drop({ blob: blobKey, index: 1 }, 'rot', 'debug');
    expect(dropped).toEqual([{ blob: blobKey, index: 1 }]);
    expect(await ledger.chunk({ blob: blobKey, index: 1 })).toBeUndefined();
    expect(store.bytes({ blob: blobKey, index: 1 })).toBeUndefined();
    expect(await ledger.isVerified(blobKey)).toBe(false);
    expect(await ledger.count(blobKey)).toBe(1);
    await ledger.forgetBlob(blobKey);
    expect(await ledger.count(blobKey)).toBe(0);
    expect(store.size).toBe(0);
    expect(dropped).toHaveLength(2);
  });

  it('remembers the verified state; recording a chunk anew forgets it', async () => {
    await ledger.plan({ blobKey, size: 16 });
    await ledger.setState(blobKey, 'verified');
    const before = meta.calls.getBlob ?? 0;
    expect(await ledger.isVerified(blobKey)).toBe(true);
    expect(meta.calls.getBlob ?? 0).toBe(before);
    await meta.setBlobState(blobKey, 'partial'); // as the verifier's purge does
    await ledger.record(record(0));
    expect(await ledger.isVerified(blobKey)).toBe(false);
  });
});
