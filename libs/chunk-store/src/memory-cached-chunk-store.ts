import { Readable, Transform } from 'node:stream';
import { LRUCache } from 'lru-cache';
import { ChunkId, ChunkStore, chunkName } from './chunk-store';

/**
 * A memory LRU of whole chunks in front of another store (the edge's hot set). Whole-chunk reads
 * fill it as they stream; any range of a cached chunk is then served from memory.
 */
export class MemoryCachedChunkStore implements ChunkStore {
  readonly kind: string;
  private readonly cache: LRUCache<string, Buffer>;
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: ChunkStore,
    maxBytes: number,
  ) {
    this.kind = `memory+${inner.kind}`;
    this.cache = new LRUCache<string, Buffer>({
      maxSize: maxBytes,
      sizeCalculation: (b) => Math.max(1, b.length),
    });
  }

  async stat(id: ChunkId): Promise<number | undefined> {
    return this.cache.get(chunkName(id))?.length ?? this.inner.stat(id);
  }

  async read(id: ChunkId, start = 0, end?: number): Promise<Readable> {
    const key = chunkName(id);
    const cached = this.cache.get(key);
    if (cached) {
      this.hits++;
      return Readable.from([cached.subarray(start, end === undefined ? undefined : end + 1)]);
    }
    this.misses++;
    const body = await this.inner.read(id, start, end);
    if (start !== 0 || end !== undefined) return body;
    const parts: Buffer[] = [];
    const fill = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        parts.push(chunk);
        cb(null, chunk);
      },
      flush: (cb) => {
        this.cache.set(key, Buffer.concat(parts));
        cb();
      },
    });
    body.on('error', (err) => fill.destroy(err));
    return body.pipe(fill);
  }

  async putFile(id: ChunkId, localPath: string): Promise<void> {
    this.cache.delete(chunkName(id));
    await this.inner.putFile(id, localPath);
  }

  async delete(id: ChunkId): Promise<void> {
    this.cache.delete(chunkName(id));
    await this.inner.delete(id);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }
}
