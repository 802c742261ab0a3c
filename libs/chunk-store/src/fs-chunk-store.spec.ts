import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkStoreContract } from './chunk-store.contract';
import { FsChunkStore } from './fs-chunk-store';

chunkStoreContract('fs', async () => ({
  store: new FsChunkStore(await mkdtemp(join(tmpdir(), 'fs-chunks-'))),
}));
