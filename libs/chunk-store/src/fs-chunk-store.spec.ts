import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkStoreContract } from './chunk-store.contract';
import { FsChunkStore } from './fs-chunk-store';

chunkStoreContract(
  'fs',
  async () => ({ store: new FsChunkStore(await mkdtemp(join(tmpdir(), 'fs-chunks-'))) }),
  { opensFiles: true },
);

describe('FsChunkStore.ping', () => {
  it('survives many concurrent pings (health checks overlap) and leaves no probe behind', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fs-ping-'));
    const store = new FsChunkStore(root);
    await Promise.all(Array.from({ length: 100 }, () => store.ping()));
    expect(await readdir(root)).toEqual([]);
  });
});
