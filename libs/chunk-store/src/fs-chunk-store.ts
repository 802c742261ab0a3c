import { randomUUID } from 'node:crypto';
import { createReadStream, open as openFd } from 'node:fs';
import { promisify } from 'node:util';
import { mkdir, rename, rm, stat, unlink, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { ChunkFile, ChunkId, ChunkMissingError, ChunkStore, chunkName } from './chunk-store';

/** Chunks as files under `<root>/<2 hex>/<blob>/<index>`; writes are rename-atomic. */
export class FsChunkStore implements ChunkStore {
  readonly kind = 'fs';

  constructor(private readonly root: string) {}

  private pathOf(id: ChunkId): string {
    return join(this.root, chunkName(id));
  }

  async stat(id: ChunkId): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(id))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async read(id: ChunkId, start = 0, end?: number): Promise<Readable> {
    // Open first so a missing chunk is a rejected promise, not a stream error mid-response.
    let fd: number;
    try {
      fd = await promisify(openFd)(this.pathOf(id), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ChunkMissingError(id);
      throw err;
    }
    return createReadStream('', { fd, start, end, highWaterMark: 256 * 1024, autoClose: true });
  }

  async openFile(id: ChunkId): Promise<ChunkFile> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.pathOf(id), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ChunkMissingError(id);
      throw err;
    }
    return {
      read: async (into, length, position) => (await handle.read(into, 0, length, position)).bytesRead,
      close: () => handle.close(),
    };
  }

  async putFile(id: ChunkId, localPath: string): Promise<void> {
    const target = this.pathOf(id);
    // The blob's directory exists for all its chunks but the first: one syscall per chunk, not two.
    try {
      await rename(localPath, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await rename(localPath, target);
    }
  }

  async delete(id: ChunkId): Promise<void> {
    await rm(this.pathOf(id), { force: true });
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    // A name of its own per call: concurrent pings (health checks) must not unlink each other's.
    const probe = join(this.root, `.ping-${process.pid}-${randomUUID()}`);
    const h = await open(probe, 'w');
    await h.close();
    await unlink(probe);
  }
}
