import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { ChunkMissingError, ChunkStore } from './chunk-store';

/**
 * The behaviour every ChunkStore backend must share; each backend's spec runs it. `opensFiles`:
 * the backend implements openFile (reads into the caller's buffers), which is then checked too.
 */
export function chunkStoreContract(
  name: string,
  create: () => Promise<{ store: ChunkStore; close?: () => Promise<void> }>,
  { opensFiles = false } = {},
) {
  describe(`ChunkStore contract: ${name}`, () => {
    let store: ChunkStore;
    let close: (() => Promise<void>) | undefined;
    let scratch: string;
    const blob = `sha256-${'ab'.repeat(32)}`;

    beforeAll(async () => {
      ({ store, close } = await create());
      scratch = await mkdtemp(join(tmpdir(), 'chunk-contract-'));
    });
    afterAll(async () => close?.());

    async function put(index: number, body: string) {
      const file = join(scratch, `c${index}`);
      await writeFile(file, body);
      await store.putFile({ blob, index }, file);
    }

    it('stores, stats and reads whole chunks and ranges', async () => {
      await put(0, 'hello chunk world');
      expect(await store.stat({ blob, index: 0 })).toBe(17);
      expect(await text(await store.read({ blob, index: 0 }))).toBe('hello chunk world');
      expect(await text(await store.read({ blob, index: 0 }, 6, 10))).toBe('chunk');
      expect(await text(await store.read({ blob, index: 0 }, 12))).toBe('world');
    });

    it('reports missing chunks', async () => {
      expect(await store.stat({ blob, index: 99 })).toBeUndefined();
      await expect(store.read({ blob, index: 99 })).rejects.toBeInstanceOf(ChunkMissingError);
    });

    it('replaces and deletes', async () => {
      await put(1, 'first');
      await put(1, 'second');
      expect(await text(await store.read({ blob, index: 1 }))).toBe('second');
      await store.delete({ blob, index: 1 });
      expect(await store.stat({ blob, index: 1 })).toBeUndefined();
      await store.delete({ blob, index: 1 }); // idempotent
    });

    it('refuses keys that are not content hashes', async () => {
      await expect(store.stat({ blob: '../../etc', index: 0 })).rejects.toThrow(/Not a blob key/);
      await expect(store.stat({ blob, index: -1 })).rejects.toThrow(/Bad chunk index/);
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    if (opensFiles)
      it('opens a chunk for reads into buffers, in order and at any position', async () => {
        await put(3, 'abcdefghijklmnopqrstuvwxyz');
        const file = await store.openFile!({ blob, index: 3 }, 4);
        if (!file) throw new Error('a stored plain chunk was not opened');
        const buf = Buffer.alloc(8);
        const readAt = async (length: number, position: number) =>
          buf.toString('latin1', 0, await file.read(buf, length, position));
        expect(await readAt(5, 4)).toBe('efghi');
        expect(await readAt(8, 9)).toBe('jklmnopq');
        expect(await readAt(3, 1)).toBe('bcd'); // backwards
        expect(await readAt(8, 20)).toBe('uvwxyz'); // short at the end
        expect(await readAt(1, 26)).toBe('');
        await file.close();
        // Absent: ChunkMissingError, or undefined (read() then says so).
        const missing = await store.openFile!({ blob, index: 98 }).catch((err: unknown) => err);
        expect(missing === undefined || missing instanceof ChunkMissingError).toBe(true);
      });

    it('keeps the source file contents when reading back (binary safe)', async () => {
      const bytes = Buffer.from([0, 255, 1, 254, 10, 13]);
      const file = join(scratch, 'bin');
      await writeFile(file, bytes);
      const expected = await readFile(file);
      await store.putFile({ blob, index: 2 }, file);
      const chunks: Buffer[] = [];
      for await (const c of await store.read({ blob, index: 2 })) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks)).toEqual(expected);
    });
  });
}
