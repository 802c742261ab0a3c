import { chunkStoreContract } from '../chunk-store.contract';
import { InMemoryChunkStore } from './in-memory-chunk-store';

// The fake the mirror's unit tests stand on behaves like the fs and S3 stores.
chunkStoreContract('in memory (test fake)', async () => ({ store: new InMemoryChunkStore(4) }));
chunkStoreContract(
  'in memory, opening chunks like a remote store (test fake)',
  async () => ({ store: new InMemoryChunkStore(4, { opensFiles: true }) }),
  { opensFiles: true },
);

describe('InMemoryChunkStore', () => {
  const id = { blob: `sha256-${'ab'.repeat(32)}`, index: 0 };

  it('serves bodies in pieces and can be damaged on purpose', async () => {
    const store = new InMemoryChunkStore(3);
    store.put(id, Buffer.from('abcdefgh'));
    const pieces: string[] = [];
    for await (const p of await store.read(id, 1, 6)) pieces.push(String(p));
    expect(pieces).toEqual(['bcd', 'efg']);
    store.flipBit(id, 0);
    expect(store.bytes(id)!.toString()).toBe('`bcdefgh');
  });
});
