import { readFile, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ChunkFile, ChunkId, ChunkMissingError, ChunkStore, chunkName } from '../chunk-store';
import { StreamedChunkFile } from '../streamed-chunk-file';

/**
 * A ChunkStore in a Map, for unit tests of the mirror's services; it passes the shared
 * ChunkStore contract. Tests can look at, count and damage what is stored. Bodies are served in
 * pieces of `pieceSize` bytes so readers meet more than one buffer.
 */
export class InMemoryChunkStore implements ChunkStore {
  readonly kind = 'memory';
  private readonly chunks = new Map<string, Buffer>();
  /** putFile calls, per chunk name. */
  readonly puts = new Map<string, number>();
  reads = 0;
  /** Chunk indexes opened by openFile, in order. */
  readonly opened: number[] = [];
  /** With `opensFiles`, chunks are opened like a remote store's: one streamed read per open. */
  readonly openFile?: (id: ChunkId, start?: number) => Promise<ChunkFile>;

  constructor(
    private readonly pieceSize = 64 * 1024,
    options: { opensFiles?: boolean } = {},
  ) {
    if (options.opensFiles)
      this.openFile = async (id, start = 0) => {
        this.opened.push(id.index);
        return new StreamedChunkFile(await this.read(id, start), start, (at) => this.read(id, at));
      };
  }

  async stat(id: ChunkId): Promise<number | undefined> {
    return this.chunks.get(chunkName(id))?.length;
  }

  async read(id: ChunkId, start = 0, end?: number): Promise<Readable> {
    const bytes = this.chunks.get(chunkName(id));
    if (!bytes) throw new ChunkMissingError(id);
    this.reads++;
    const slice = bytes.subarray(start, end === undefined ? undefined : end + 1);
    const pieces: Buffer[] = [];
    for (let off = 0; off < slice.length; off += this.pieceSize)
      pieces.push(Buffer.from(slice.subarray(off, off + this.pieceSize)));
    return Readable.from(pieces);
  }

  async putFile(id: ChunkId, localPath: string): Promise<void> {
    const name = chunkName(id);
    this.chunks.set(name, await readFile(localPath));
    await rm(localPath, { force: true });
    this.puts.set(name, (this.puts.get(name) ?? 0) + 1);
  }

  async delete(id: ChunkId): Promise<void> {
    this.chunks.delete(chunkName(id));
  }

  async ping(): Promise<void> {
    return undefined;
  }

  /** The stored bytes of a chunk (a copy), or undefined. */
  bytes(id: ChunkId): Buffer | undefined {
    const bytes = this.chunks.get(chunkName(id));
    return bytes && Buffer.from(bytes);
  }

  /** Stores bytes directly (a chunk another node put in a shared store). */
  put(id: ChunkId, bytes: Buffer): void {
    this.chunks.set(chunkName(id), Buffer.from(bytes));
  }

  /** Flips one bit of a stored chunk, as rot on a disk would (no metadata changes). */
  flipBit(id: ChunkId, offset: number): void {
    const bytes = this.chunks.get(chunkName(id));
    if (!bytes) throw new ChunkMissingError(id);
    bytes[offset] ^= 0x01;
  }

  get size(): number {
    return this.chunks.size;
  }
}
