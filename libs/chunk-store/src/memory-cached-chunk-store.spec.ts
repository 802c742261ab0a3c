import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { chunkStoreContract } from './chunk-store.contract';
import { FsChunkStore } from './fs-chunk-store';
import { MemoryCachedChunkStore } from './memory-cached-chunk-store';

chunkStoreContract('memory LRU over fs', async () => ({
  store: new MemoryCachedChunkStore(
    new FsChunkStore(await mkdtemp(join(tmpdir(), 'mem-chunks-'))),
    1024 * 1024,
  ),
}));

describe('MemoryCachedChunkStore', () => {
  it('serves ranges of a chunk from memory after one whole read, within its byte budget', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mem-lru-'));
    const store = new MemoryCachedChunkStore(new FsChunkStore(root), 100);
    const blob = `sha256-${'cd'.repeat(32)}`;
    for (const index of [0, 1]) {
      const file = join(root, `src${index}`);
      await writeFile(file, `chunk-${index}-`.padEnd(60, 'x'));
      await store.putFile({ blob, index }, file);
    }
    expect(await text(await store.read({ blob, index: 0 }))).toMatch(/^chunk-0-x+$/);
    expect(await text(await store.read({ blob, index: 0 }, 0, 6))).toBe('chunk-0');
    expect(store.hits).toBe(1);
    await text(await store.read({ blob, index: 1 })); // 60 + 60 > 100: chunk 0 is evicted
    await text(await store.read({ blob, index: 0 }, 0, 6));
    expect(store.hits).toBe(1);
  });
});
