import { countedMetadataPort } from './counted-metadata-port';
import { InMemoryMetadataStore } from './testing';

describe('countedMetadataPort', () => {
  it('counts calls per method and answers as the port does', async () => {
    const { port, counts } = countedMetadataPort(new InMemoryMetadataStore());
    await port.putChunk({ blobKey: 'b', index: 0, size: 3, blockSize: 3, blockDigests: '' });
    expect(await port.getChunk('b', 0)).toMatchObject({ blobKey: 'b', index: 0, size: 3 });
    expect(await port.getChunk('b', 1)).toBeUndefined();
    expect(await port.countChunks('b')).toBe(1);
    expect(Object.fromEntries(counts)).toEqual({ putChunk: 1, getChunk: 2, countChunks: 1 });
  });
});
