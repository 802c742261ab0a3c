import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { chunkStoreContract } from './chunk-store.contract';
import { ChunkMissingError } from './chunk-store';
import { FsChunkStore } from './fs-chunk-store';
import { TieredChunkStore } from './tiered-chunk-store';
import { FRAME_BLOCK_SIZE } from './zstd-frames';

function tiered(onColdRead?: () => void) {
  const dir = mkdtempSync(join(tmpdir(), 'tiered-'));
  const hot = new FsChunkStore(join(dir, 'hot'));
  const cold = new FsChunkStore(join(dir, 'cold'));
  const store = new TieredChunkStore(hot, cold, {
    minCompressionSaving: 0.1,
    scratchDir: join(dir, 'scratch'),
  });
  store.onColdRead = onColdRead;
  return { dir, hot, cold, store, close: async () => rmSync(dir, { recursive: true, force: true }) };
}

chunkStoreContract('tiered (fs hot + fs cold)', async () => tiered(), { opensFiles: true });

describe('TieredChunkStore', () => {
  const blob = `sha256-${'cd'.repeat(32)}`;
  let t: ReturnType<typeof tiered>;
  let coldReads = 0;
  beforeEach(() => {
    coldReads = 0;
    t = tiered(() => coldReads++);
  });
  afterEach(() => t.close());

  async function put(index: number, bytes: Buffer) {
    const file = join(t.dir, `in-${index}`);
    writeFileSync(file, bytes);
    await t.store.putFile({ blob, index }, file);
  }

  // Text-like bytes compress well; random bytes do not.
  const compressible = Buffer.from(
    Array.from({ length: 200_000 }, (_, i) => `{"token_${i % 5000}": ${i}}`)
      .join(',')
      .slice(0, 2.5 * FRAME_BLOCK_SIZE),
  );
  const random = randomBytes(3 * FRAME_BLOCK_SIZE + 123);

  it('demotes compressible chunks compressed, and serves every range of them identically', async () => {
    await put(0, compressible);
    const placed = await t.store.demote({ blob, index: 0 });
    expect(placed).toMatchObject({ tier: 'cold', compressed: true });
    expect(placed.storedBytes).toBeLessThan(compressible.length * 0.9);
    expect(await t.hot.stat({ blob, index: 0 })).toBeUndefined();
    expect(await t.store.stat({ blob, index: 0 })).toBe(compressible.length);
    for (const [a, b] of [
      [0, compressible.length - 1],
      [0, 0],
      [FRAME_BLOCK_SIZE - 3, FRAME_BLOCK_SIZE + 3],
      [FRAME_BLOCK_SIZE * 2, compressible.length - 1],
      [12345, 12345 + 700_000],
    ]) {
      const got = await buffer(await t.store.read({ blob, index: 0 }, a, b));
      expect(got.equals(compressible.subarray(a, b + 1))).toBe(true);
    }
    expect((await buffer(await t.store.read({ blob, index: 0 }, 17))).equals(compressible.subarray(17))).toBe(
      true,
    );
    expect(coldReads).toBeGreaterThan(0);
  });

  it('keeps incompressible chunks plain on the cold tier (compression must save 10 %)', async () => {
    await put(1, random);
    const placed = await t.store.demote({ blob, index: 1 });
    expect(placed).toEqual({ tier: 'cold', compressed: false, storedBytes: random.length });
    expect(await t.cold.stat({ blob, index: 1 })).toBe(random.length);
    expect(
      (await buffer(await t.store.read({ blob, index: 1 }, 5, 50_000))).equals(random.subarray(5, 50_001)),
    ).toBe(true);
  });

  it('opens plain chunks as local files on either tier, and compressed ones only through read()', async () => {
    await put(1, random);
    await put(2, compressible);
    const bytesOf = async (index: number, length: number) => {
      const file = await t.store.openFile({ blob, index });
      if (!file) return undefined;
      const into = Buffer.alloc(length);
      try {
        expect(await file.read(into, length, 0)).toBe(length);
      } finally {
        await file.close();
      }
      return into;
    };
    expect((await bytesOf(1, random.length))?.equals(random)).toBe(true);
    expect(coldReads).toBe(0);
    await t.store.demote({ blob, index: 1 });
    await t.store.demote({ blob, index: 2 });
    expect((await bytesOf(1, random.length))?.equals(random)).toBe(true);
    expect(coldReads).toBe(1);
    expect(await bytesOf(2, compressible.length)).toBeUndefined();
    // A store that has not seen the chunk yet (after a restart) finds it on the cold tier too.
    const fresh = new TieredChunkStore(t.hot, t.cold, { minCompressionSaving: 0.1, scratchDir: t.dir });
    const reopened = await fresh.openFile({ blob, index: 1 });
    expect(reopened).toBeDefined();
    await reopened?.close();
    expect(await fresh.openFile({ blob, index: 2 })).toBeUndefined();
  });

  it('promotes back to the hot tier with the same bytes, and deletes every copy', async () => {
    await put(2, compressible);
    await t.store.demote({ blob, index: 2 });
    expect(await t.store.promote({ blob, index: 2 })).toMatchObject({ tier: 'hot' });
    expect(await t.hot.stat({ blob, index: 2 })).toBe(compressible.length);
    expect(await t.cold.stat({ blob, index: 2, suffix: 'zst' })).toBeUndefined();
    expect((await buffer(await t.store.read({ blob, index: 2 }))).equals(compressible)).toBe(true);
    await t.store.delete({ blob, index: 2 });
    await expect(t.store.read({ blob, index: 2 })).rejects.toBeInstanceOf(ChunkMissingError);
  });

  it('a chunk stored again lands hot and is not shadowed by an older cold copy', async () => {
    await put(3, compressible);
    await t.store.demote({ blob, index: 3 });
    await put(3, compressible);
    expect(await t.cold.stat({ blob, index: 3, suffix: 'zst' })).toBeUndefined();
    expect(await t.hot.stat({ blob, index: 3 })).toBe(compressible.length);
  });
});
