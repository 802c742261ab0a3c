import { metadataPortContract } from '../metadata-port.contract';
import { InMemoryMetadataStore } from './in-memory-metadata-store';

// The fake the mirror's unit tests stand on behaves like the real adapters.
metadataPortContract('in memory (test fake)', { create: async () => new InMemoryMetadataStore() });

describe('InMemoryMetadataStore', () => {
  it('hands out copies: a caller mutating a record does not change the store', async () => {
    const store = new InMemoryMetadataStore();
    await store.putBlob({ key: 'b', size: 1, chunkSize: 1, state: 'partial', createdAt: 1, lastAccessAt: 1 });
    const blob = (await store.getBlob('b'))!;
    blob.state = 'verified';
    expect((await store.getBlob('b'))!.state).toBe('partial');
    expect(store.calls).toMatchObject({ putBlob: 1, getBlob: 2 });
  });
});
