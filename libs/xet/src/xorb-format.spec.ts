import { chunkBuffer } from './chunker';
import { XetHasher } from './hash';
import { randomContent, textContent } from './test-content';
import { XorbBuilder } from './xorb-builder';
import {
  bg4Regroup,
  bg4Split,
  decodeChunks,
  encodeChunk,
  parseChunkHeader,
  parseXorbFooter,
  XetCompression,
  XorbFormatError,
} from './xorb-format';

describe('xorb chunk format', () => {
  it.each([XetCompression.None, XetCompression.Lz4, XetCompression.ByteGrouping4Lz4])(
    'round-trips chunks with scheme %s',
    (scheme) => {
      const chunks = chunkBuffer(textContent(400_000));
      const stream = Buffer.concat(chunks.map((c) => encodeChunk(c, scheme)));
      if (scheme !== XetCompression.None) expect(stream.length).toBeLessThan(400_000 * 0.9);
      const decoded = decodeChunks(stream);
      expect(decoded.map((d) => d.data)).toEqual(chunks);
      expect(parseChunkHeader(stream).scheme).toBe(scheme);
    },
  );

  it('stores incompressible chunks uncompressed', () => {
    const enc = encodeChunk(randomContent('x', 70_000), XetCompression.Lz4);
    expect(parseChunkHeader(enc)).toEqual({
      compressedLength: 70_000,
      scheme: XetCompression.None,
      uncompressedLength: 70_000,
    });
  });

  it('byte-groups by position mod 4 for any length', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 7, 9, 1001]) {
      const data = randomContent(`bg${n}`, n);
      expect(bg4Regroup(bg4Split(data)).equals(data)).toBe(true);
    }
    expect([...bg4Split(Buffer.from([0, 1, 2, 3, 4, 5]))]).toEqual([0, 4, 1, 5, 2, 3]);
  });

  it('rejects corrupt streams', () => {
    const enc = encodeChunk(textContent(50_000), XetCompression.Lz4);
    expect(() => decodeChunks(enc.subarray(0, enc.length - 3))).toThrow(XorbFormatError);
    const bad = Buffer.from(enc);
    bad.writeUIntLE(49_999, 5, 3);
    expect(() => decodeChunks(bad)).toThrow(XorbFormatError);
    const scheme = Buffer.from(enc);
    scheme[4] = 7;
    expect(() => decodeChunks(scheme)).toThrow(/compression scheme/);
  });
});

describe('XorbBuilder', () => {
  it('writes a footer the parser reads back, with the xorb hash of its chunks', async () => {
    const hasher = await XetHasher.create();
    const b = new XorbBuilder(hasher, XetCompression.Lz4);
    const chunks = chunkBuffer(Buffer.concat([textContent(200_000), randomContent('f', 300_000)]));
    const body = Buffer.concat(chunks.map((c) => b.add(c, hasher.chunkHash(c)).encoded));
    const built = b.finish();
    const xorb = Buffer.concat([body, built.footer]);
    const footer = parseXorbFooter(xorb);
    expect(footer.xorbHashHex).toBe(built.hashHex);
    expect(footer.chunkEnds).toEqual(built.chunkEnds);
    expect(footer.chunkEnds[footer.chunkEnds.length - 1]).toBe(body.length);
    expect(footer.unpackedEnds[footer.unpackedEnds.length - 1]).toBe(500_000);
    expect(footer.chunkHashes.map((h) => h.toString('hex'))).toEqual(
      chunks.map((c) => hasher.chunkHash(c).toString('hex')),
    );
    expect(decodeChunks(xorb.subarray(0, built.chunkEnds[2])).map((d) => d.data)).toEqual(chunks.slice(0, 3));
  });

  it('respects its size limits', async () => {
    const b = new XorbBuilder(await XetHasher.create(), XetCompression.None, 100_000, 3);
    expect(b.fits(200_000)).toBe(true); // an empty xorb takes any chunk
    b.add(Buffer.alloc(60_000), Buffer.alloc(32));
    expect(b.fits(50_000)).toBe(false);
    expect(b.fits(40_000)).toBe(true);
  });
});
