import { chunkBuffer, XetChunker, XET_MAX_CHUNK, XET_MIN_CHUNK } from './chunker';
import { XetHasher, xetHashFromHex, xetHashToHex } from './hash';
import { randomContent, textContent } from './test-content';

describe('Xet hash strings', () => {
  // Vector from xet-core's merklehash tests: raw digest bytes vs the printed hash.
  const raw = Buffer.from([
    22, 175, 58, 132, 4, 75, 131, 214, 190, 153, 138, 66, 226, 3, 153, 242, 204, 86, 80, 234, 249, 153, 80,
    99, 159, 80, 65, 138, 236, 231, 149, 78,
  ]);
  const hex = 'd6834b04843aaf16f29903e2428a99be635099f9ea5056cc4e95e7ec8a41509f';

  it('prints each 8-byte word little-endian', () => {
    expect(xetHashToHex(raw)).toBe(hex);
    expect(xetHashFromHex(hex).equals(raw)).toBe(true);
  });

  it('refuses what is not 64 hex digits', () => {
    expect(() => xetHashFromHex('abc')).toThrow(/Not a Xet hash/);
  });
});

describe('XetHasher', () => {
  let h: XetHasher;
  beforeAll(async () => {
    h = await XetHasher.create();
  });
  const leaves = (list: [string, number][]) =>
    list.map(([hex, size]) => ({ hash: xetHashFromHex(hex), size }));

  // Reference vectors from xet-core's aggregated_hashes tests (xorb hash; file hash with zero salt).
  it('matches the reference merkle vectors', () => {
    const one = leaves([['cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6', 100]]);
    expect(xetHashToHex(h.xorbHash(one))).toBe(
      'cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6',
    );
    expect(xetHashToHex(h.fileHash(one))).toBe(
      '8e16257caa3fe079d484d872a8975264b2ff683b0d6db9028cc7c0f968a45661',
    );

    const three = leaves([
      ['cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6', 100],
      ['c3e67584b5c4fc2a89837ec39e40f2c8a6bb0b2987ac94cd4b31e5fbdd210a72', 200],
      ['0d2beb91b9196929a5ddec9f6e306924ddf4a24268e3e59fd8464738d525af37', 300],
    ]);
    expect(xetHashToHex(h.xorbHash(three))).toBe(
      '71ec1275fca074724e2dd666921b3277c7cee603e4d025bcab2d4050015be2bc',
    );
    expect(xetHashToHex(h.fileHash(three))).toBe(
      '54e55dccc6653c612bdb5576c5d3cb34bb31bc4e100248abccf4c908b3ef7715',
    );

    const six = leaves([
      ['cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6', 100],
      ['c3e67584b5c4fc2a89837ec39e40f2c8a6bb0b2987ac94cd4b31e5fbdd210a72', 200],
      ['cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6', 100],
      ['c3e67584b5c4fc2a89837ec39e40f2c8a6bb0b2987ac94cd4b31e5fbdd210a72', 200],
      ['0d2beb91b9196929a5ddec9f6e306924ddf4a24268e3e59fd8464738d525af37', 300],
      ['adf8773496a9b7319b2e50dc98093f344053b17d8ad37100b9c07d9805988784', 400],
    ]);
    expect(xetHashToHex(h.xorbHash(six))).toBe(
      '52c826f99507aa05d0b45e9837fa1709e0485425cfbcb1e80db3905cf98b3ee9',
    );
    expect(xetHashToHex(h.fileHash(six))).toBe(
      '91d21684db364c8883ab8209fa5eb2e781cf07f37e1fa43e731c30839afe422f',
    );
  });

  it('hashes an empty file to zeros', () => {
    expect(xetHashToHex(h.fileHash([]))).toBe('0'.repeat(64));
  });

  // Expected values computed by the real client: hf_xet 1.6.0 `hash_files` over the same bytes.
  it.each([
    [
      'random 3 MB',
      () => randomContent('a', 3_000_000),
      'afba6b7dbd7dcb0bb64b923fcec79115fdefc22fc625b277589569cd72c6df33',
    ],
    [
      'text 1.5 MB',
      () => textContent(1_500_000),
      'd610b269932db3f1f4da7089723608efd999ca52ad461539e5b55ad19a433ec2',
    ],
    [
      'zeros 300 kB',
      () => Buffer.alloc(300_000),
      '3d7bd4178bc2851ba07d59c24c3a88ae0c7220e9920d6c5c6a06b01556d46404',
    ],
    [
      '8191 bytes (one chunk)',
      () => randomContent('b', 8191),
      'c20fa11f8f79a087e0a29e6f436a07b7dd0729563acd372809e3c96eed0b6a48',
    ],
    [
      'mixed',
      () => Buffer.concat([randomContent('c', 200_000), textContent(200_000), randomContent('c', 200_000)]),
      'ae55a070177726a9f3c38d4fd1b9e997f2aa27d19e7329768c1ed5c4bcf2cdba',
    ],
  ])('file hash of %s equals hf_xet hash_files', (_name, make, expected) => {
    const data = make();
    const chunks = chunkBuffer(data);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    const file = h.fileHash(chunks.map((c) => ({ hash: h.chunkHash(c), size: c.length })));
    expect(xetHashToHex(file)).toBe(expected);
  });
});

describe('XetChunker', () => {
  it('cuts the same boundaries whatever the push sizes', () => {
    const data = randomContent('split', 2_000_000);
    const whole = chunkBuffer(data).map((c) => c.length);
    for (const piece of [1, 63, 8127, 65536, 300_001]) {
      const c = new XetChunker();
      const sizes: number[] = [];
      for (let o = 0; o < data.length; o += piece)
        sizes.push(...c.push(data.subarray(o, o + piece)).map((x) => x.length));
      sizes.push(...c.finish().map((x) => x.length));
      expect(sizes).toEqual(whole);
    }
  });

  it('keeps chunks within min and max (except the last)', () => {
    const sizes = chunkBuffer(randomContent('bounds', 3_000_000)).map((c) => c.length);
    for (const s of sizes.slice(0, -1)) {
      expect(s).toBeGreaterThanOrEqual(XET_MIN_CHUNK);
      expect(s).toBeLessThanOrEqual(XET_MAX_CHUNK);
    }
    expect(
      chunkBuffer(Buffer.alloc(1_000_000))
        .slice(0, -1)
        .every((c) => c.length === XET_MAX_CHUNK),
    ).toBe(true);
  });

  it('returns nothing for no bytes', () => {
    expect(chunkBuffer(Buffer.alloc(0))).toEqual([]);
  });
});
