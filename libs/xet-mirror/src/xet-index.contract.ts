import type { StoredXorbRange, XetFileRecord, XetIndex } from './xet-index';

const H = (c: string) => c.repeat(64);

/** The behaviour every XetIndex must have (run by each implementation's spec). */
export function xetIndexContract(
  name: string,
  make: () => Promise<{ index: XetIndex; cleanup?: () => void }>,
) {
  describe(`${name} (XetIndex contract)`, () => {
    let index: XetIndex;
    let cleanup: (() => void) | undefined;
    beforeEach(async () => ({ index, cleanup } = await make()));
    afterEach(async () => {
      await index.close();
      cleanup?.();
    });

    const file: XetFileRecord = {
      fileHash: H('a'),
      size: 300,
      terms: [{ xorb: H('b'), chunkStart: 0, chunkEnd: 2, unpackedLength: 300 }],
      ranges: [{ xorb: H('b'), chunkStart: 0, chunkEnd: 2, byteStart: 0, byteEnd: 199 }],
      verified: false,
    };
    const range: StoredXorbRange = {
      ...file.ranges[0],
      chunkHashes: [H('c'), H('d')],
      unpackedLengths: [100, 200],
      packedEnds: [90, 200],
      sha256: H('e'),
    };

    it('stores files and their verification', async () => {
      expect(await index.getFile(H('a'))).toBeUndefined();
      await index.putFile(file);
      expect(await index.getFile(H('a'))).toEqual(file);
      await index.setFileVerified(H('a'), true);
      expect((await index.getFile(H('a')))!.verified).toBe(true);
    });

    it('stores, lists and deletes xorb ranges', async () => {
      await index.putRange(range);
      await index.putRange({
        ...range,
        chunkStart: 5,
        chunkEnd: 6,
        chunkHashes: [H('f')],
        unpackedLengths: [7],
        packedEnds: [9],
      });
      const got = (await index.rangesOf(H('b'))).sort((x, y) => x.chunkStart - y.chunkStart);
      expect(got[0]).toEqual(range);
      expect(got).toHaveLength(2);
      await index.deleteRange(H('b'), 5, 6);
      expect(await index.rangesOf(H('b'))).toEqual([range]);
      expect(await index.rangesOf(H('9'))).toEqual([]);
    });

    it('remembers which repos a file belongs to', async () => {
      await index.addFileRepo(H('a'), 'model', 'org/m');
      await index.addFileRepo(H('a'), 'model', 'org/m');
      expect(await index.fileInRepo(H('a'), 'model', 'org/m')).toBe(true);
      expect(await index.fileInRepo(H('a'), 'dataset', 'org/m')).toBe(false);
    });

    it('maps content sha256 to Xet hashes, remembering negatives', async () => {
      await index.putContentXetHash(H('1'), H('2'), 1000);
      await index.putContentXetHash(H('3'), null, 2000);
      expect(await index.getContentXetHash(H('1'))).toEqual({ xetHash: H('2'), checkedAt: 1000 });
      expect(await index.getContentXetHash(H('3'))).toEqual({ xetHash: null, checkedAt: 2000 });
      expect(await index.getContentXetHash(H('4'))).toBeUndefined();
    });
  });
}
