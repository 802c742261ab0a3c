import { createWriteStream, mkdirSync } from 'node:fs';
import { FileHandle, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { growingLru } from '@dingo/concurrency';
import { ChunkFile, ChunkId, ChunkMissingError, chunkName, ChunkStore } from './chunk-store';
import {
  blocksFor,
  compressBlock,
  decompressBlocks,
  FRAME_BLOCK_SIZE,
  frameHeader,
  FrameHeader,
  headerLength,
  parseFixedHeader,
  parseHeader,
} from './zstd-frames';

export type Tier = 'hot' | 'cold';

/** Where a chunk was placed, and what it costs there. */
export interface Placement {
  tier: Tier;
  /** Bytes on disk (compressed size on the cold tier when compression paid off). */
  storedBytes: number;
  compressed: boolean;
}

export interface TieredOptions {
  /** Compress a chunk moved to the cold tier only if that saves at least this fraction (0.1 = 10 %). */
  minCompressionSaving: number;
  /** Scratch space for moves between tiers. */
  scratchDir: string;
}

/** Moving chunks between tiers: only a store with tiers does it. */
export interface ChunkTiers {
  demote(id: ChunkId): Promise<Placement>;
  promote(id: ChunkId): Promise<Placement>;
  onColdRead?: (id: ChunkId) => void;
}

export function hasTiers(store: ChunkStore): store is ChunkStore & ChunkTiers {
  return typeof (store as Partial<ChunkTiers>).demote === 'function';
}

/** The compressed form of a chunk on the cold tier. */
const zst = (id: ChunkId): ChunkId => ({ ...id, suffix: 'zst' });

/**
 * Two stores behind one: new chunks land on the fast (hot) tier; the storage policy moves chunks
 * nobody read lately to the large (cold) tier, compressed with zstd when that pays, and back when
 * they are read again. Reads find a chunk wherever it is, ranges included, without the caller
 * knowing: the bytes (and so the block digests checked by the read path) are the same.
 */
export class TieredChunkStore implements ChunkStore, ChunkTiers {
  readonly kind: string;
  /** Told of each read served from the cold tier (the storage policy promotes chunks read often). */
  onColdRead?: (id: ChunkId) => void;
  /** Where chunks were last seen, so a read goes to the right tier first. */
  private readonly where = growingLru<string, 'hot' | 'cold' | 'zst'>(200_000);
  private seq = 0;

  constructor(
    private readonly hot: ChunkStore,
    private readonly cold: ChunkStore,
    private readonly options: TieredOptions,
  ) {
    this.kind = `tiered(${hot.kind},${cold.kind})`;
  }

  async stat(id: ChunkId): Promise<number | undefined> {
    const hot = await this.hot.stat(id);
    if (hot !== undefined) return hot;
    const plain = await this.cold.stat(id);
    if (plain !== undefined) return plain;
    if ((await this.cold.stat(zst(id))) === undefined) return undefined;
    return parseFixedHeader(await readAll(await this.cold.read(zst(id), 0, 15))).size;
  }

  /**
   * A chunk stored plain on either tier, open for reads into the caller's buffers (the read path
   * copies it block by block into reused buffers); a compressed chunk is read().
   */
  async openFile(id: ChunkId, start?: number): Promise<ChunkFile | undefined> {
    const key = chunkName(id);
    const known = this.where.get(key);
    if (known === 'zst') return undefined;
    const places = known === 'cold' ? (['cold'] as const) : (['hot', 'cold'] as const);
    for (const place of places) {
      const store = place === 'hot' ? this.hot : this.cold;
      if (!store.openFile) continue;
      try {
        const file = await store.openFile(id, start);
        this.where.set(key, place);
        if (place === 'cold') this.onColdRead?.(id);
        return file;
      } catch (err) {
        if (!(err instanceof ChunkMissingError)) throw err;
      }
    }
    return undefined;
  }

  async read(id: ChunkId, start = 0, end?: number): Promise<Readable> {
    const key = chunkName(id);
    const order = (['hot', 'cold', 'zst'] as const).slice().sort((a) => (a === this.where.get(key) ? -1 : 0));
    for (const place of order) {
      try {
        const body = await this.readFrom(place, id, start, end);
        this.where.set(key, place);
        if (place !== 'hot') this.onColdRead?.(id);
        return body;
      } catch (err) {
        if (!(err instanceof ChunkMissingError)) throw err;
      }
    }
    this.where.delete(key);
    throw new ChunkMissingError(id);
  }

  async putFile(id: ChunkId, localPath: string): Promise<void> {
    await this.hot.putFile(id, localPath);
    this.where.set(chunkName(id), 'hot');
    // A chunk pulled again after a bad copy on the cold tier must not be shadowed by it.
    await this.cold.delete(id);
    await this.cold.delete(zst(id));
  }

  async delete(id: ChunkId): Promise<void> {
    this.where.delete(chunkName(id));
    await this.hot.delete(id);
    await this.cold.delete(id);
    await this.cold.delete(zst(id));
  }

  async ping(): Promise<void> {
    await this.hot.ping();
    await this.cold.ping();
  }

  /** Moves a chunk to the cold tier: compressed (block by block, memory-bounded) when that pays. */
  async demote(id: ChunkId): Promise<Placement> {
    const size = await this.hot.stat(id);
    if (size === undefined) throw new ChunkMissingError(id);
    const framed = this.scratchPath();
    const writer = new FramedFileWriter(framed, size);
    try {
      for await (const block of blocksOf(await this.hot.read(id), FRAME_BLOCK_SIZE)) await writer.add(block);
      const storedBytes = await writer.finish();
      const compressed = storedBytes <= size * (1 - this.options.minCompressionSaving);
      if (compressed) {
        await this.cold.putFile(zst(id), framed);
      } else {
        await rm(framed, { force: true });
        const plain = this.scratchPath();
        await pipeline(await this.hot.read(id), createWriteStream(plain, { mode: 0o600 }));
        await this.cold.putFile(id, plain);
      }
      this.where.set(chunkName(id), compressed ? 'zst' : 'cold');
      await this.hot.delete(id);
      return { tier: 'cold', storedBytes: compressed ? storedBytes : size, compressed };
    } finally {
      await writer.close();
      await rm(framed, { force: true });
    }
  }

  async promote(id: ChunkId): Promise<Placement> {
    const file = this.scratchPath();
    await pipeline(await this.read(id), createWriteStream(file, { mode: 0o600 }));
    const bytes = { length: (await stat(file)).size };
    await this.hot.putFile(id, file);
    this.where.set(chunkName(id), 'hot');
    await this.cold.delete(id);
    await this.cold.delete(zst(id));
    return { tier: 'hot', storedBytes: bytes.length, compressed: false };
  }

  private async readFrom(place: 'hot' | 'cold' | 'zst', id: ChunkId, start: number, end?: number) {
    if (place === 'hot') return this.hot.read(id, start, end);
    if (place === 'cold') return this.cold.read(id, start, end);
    const fixed = parseFixedHeader(await readAll(await this.cold.read(zst(id), 0, 15)));
    const header = parseHeader(
      await readAll(await this.cold.read(zst(id), 0, headerLength(fixed.blocks) - 1)),
    );
    const last = Math.min(end ?? header.size - 1, header.size - 1);
    if (start > last) return Readable.from([]);
    const span = blocksFor(header, start, last);
    const compressed = await readAll(await this.cold.read(zst(id), span.from, span.to));
    // Block by block, so the first bytes go out while the rest is still compressed.
    return Readable.from(decompressRange(header, span, compressed, start, last));
  }

  /** A scratch file the target store then takes over (ChunkStore.putFile moves it). */
  private scratchPath(): string {
    mkdirSync(this.options.scratchDir, { recursive: true, mode: 0o700 });
    return join(this.options.scratchDir, `tier-move.${process.pid}.${this.seq++}`);
  }
}

/**
 * A whole (small or chunk-sized) body in one buffer. Not `stream/consumers`' buffer(), which goes
 * through a Blob and costs several copies: it tripled the CPU of a compressed cold-tier read.
 */
async function readAll(src: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of src as AsyncIterable<Buffer>) parts.push(part);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** The uncompressed bytes [start, last] of blocks `span.first..span.last`, one block at a time. */
async function* decompressRange(
  header: FrameHeader,
  span: { first: number; last: number },
  compressed: Buffer,
  start: number,
  last: number,
): AsyncGenerator<Buffer> {
  for (let b = span.first; b <= span.last; b++) {
    const [block] = await decompressBlocks(
      header,
      b,
      b,
      compressed.subarray(header.offsets[b] - header.offsets[span.first]),
    );
    const offset = b * header.blockSize;
    yield block.subarray(Math.max(0, start - offset), Math.min(block.length, last + 1 - offset));
  }
}

/** Re-cuts a stream into blocks of `size` bytes (the last may be shorter). */
async function* blocksOf(src: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (const piece of src as AsyncIterable<Buffer>) {
    let rest = piece;
    while (rest.length) {
      const take = Math.min(size - have, rest.length);
      parts.push(rest.subarray(0, take));
      have += take;
      rest = rest.subarray(take);
      if (have === size) {
        yield Buffer.concat(parts);
        parts = [];
        have = 0;
      }
    }
  }
  if (have) yield Buffer.concat(parts);
}

/** Writes a DZS1 file block by block: the header (sizes of all blocks) goes in last, at offset 0. */
class FramedFileWriter {
  private handle?: FileHandle;
  private readonly sizes: number[] = [];
  private position: number;

  constructor(
    private readonly path: string,
    private readonly size: number,
  ) {
    this.position = headerLength(Math.max(1, Math.ceil(size / FRAME_BLOCK_SIZE)));
  }

  async add(block: Buffer): Promise<void> {
    this.handle ??= await open(this.path, 'w', 0o600);
    const frame = await compressBlock(block);
    await this.handle.write(frame, 0, frame.length, this.position);
    this.position += frame.length;
    this.sizes.push(frame.length);
  }

  /** Writes the header; resolves with the file's size. */
  async finish(): Promise<number> {
    this.handle ??= await open(this.path, 'w', 0o600);
    const header = frameHeader(FRAME_BLOCK_SIZE, this.size, this.sizes);
    await this.handle.write(header, 0, header.length, 0);
    await this.close();
    return this.position;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
