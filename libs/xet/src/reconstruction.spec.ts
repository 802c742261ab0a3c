import {
  normalizeReconstruction,
  parseReconstructionRange,
  planReconstruction,
  selectTerms,
  toReconstructionV1,
  toReconstructionV2,
  type StoredTerm,
  type XorbLayoutLookup,
} from './reconstruction';

// Two xorbs; every chunk of xorb A is 100 bytes unpacked and 60 packed, of B 50 and 40.
const layout: XorbLayoutLookup = {
  packedRange: (xorb, r) => {
    const w = xorb === 'a' ? 60 : 40;
    return { start: r.start * w, end: r.end * w - 1 };
  },
};
const terms: StoredTerm[] = [
  { xorb: 'a', chunkStart: 0, unpacked: [100, 100, 100] }, // file 0..300
  { xorb: 'b', chunkStart: 4, unpacked: [50, 50] }, // file 300..400
  { xorb: 'a', chunkStart: 1, unpacked: [100] }, // file 400..500 (dedup: chunk 1 again)
];

describe('planReconstruction', () => {
  it('covers the whole file and merges fetches per xorb', () => {
    const plan = planReconstruction(terms, layout)!;
    expect(plan.offsetIntoFirstRange).toBe(0);
    expect(plan.terms).toEqual([
      { hash: 'a', unpacked_length: 300, range: { start: 0, end: 3 } },
      { hash: 'b', unpacked_length: 100, range: { start: 4, end: 6 } },
      { hash: 'a', unpacked_length: 100, range: { start: 1, end: 2 } },
    ]);
    expect(plan.fetches).toEqual([
      { xorb: 'a', chunks: { start: 0, end: 3 }, bytes: { start: 0, end: 179 } },
      { xorb: 'b', chunks: { start: 4, end: 6 }, bytes: { start: 160, end: 239 } },
    ]);
  });

  it('trims terms to the chunks that hold the range', () => {
    const plan = planReconstruction(terms, layout, { start: 150, end: 325 })!;
    expect(plan.offsetIntoFirstRange).toBe(50);
    expect(plan.terms).toEqual([
      { hash: 'a', unpacked_length: 200, range: { start: 1, end: 3 } },
      { hash: 'b', unpacked_length: 50, range: { start: 4, end: 5 } },
    ]);
  });

  it('clamps a range past the end and refuses one starting there', () => {
    expect(planReconstruction(terms, layout, { start: 450, end: 10_000 })!.terms).toEqual([
      { hash: 'a', unpacked_length: 100, range: { start: 1, end: 2 } },
    ]);
    expect(planReconstruction(terms, layout, { start: 500, end: 600 })).toBeUndefined();
  });

  it('renders V1 and V2 answers that normalize to the same fetches', () => {
    const plan = planReconstruction(terms, layout)!;
    const url = (f: { xorb: string }) => `http://cas/${f.xorb}`;
    const v1 = normalizeReconstruction(JSON.parse(JSON.stringify(toReconstructionV1(plan, url))));
    const v2 = normalizeReconstruction(JSON.parse(JSON.stringify(toReconstructionV2(plan, url))));
    expect(v1).toEqual(v2);
    expect(v1.fetches[0]).toEqual({
      xorb: 'a',
      chunks: { start: 0, end: 3 },
      bytes: { start: 0, end: 179 },
      url: 'http://cas/a',
    });
  });

  it('parses the Range header the client sends', () => {
    expect(parseReconstructionRange('bytes=0-99')).toEqual({ start: 0, end: 100 });
    expect(parseReconstructionRange('bytes=5-')).toBeUndefined();
    expect(parseReconstructionRange(undefined)).toBeUndefined();
  });
});

describe('selectTerms with whole terms', () => {
  it('selects a term known only as a whole, offset into it', () => {
    const whole = [
      { xorb: 'a', chunkStart: 0, chunkEnd: 3, unpacked: [300] },
      { xorb: 'b', chunkStart: 4, chunkEnd: 6, unpacked: [100] },
    ];
    expect(selectTerms(whole, { start: 150, end: 320 })).toEqual({
      offsetIntoFirstRange: 150,
      terms: [
        { hash: 'a', unpacked_length: 300, range: { start: 0, end: 3 } },
        { hash: 'b', unpacked_length: 100, range: { start: 4, end: 6 } },
      ],
    });
    expect(selectTerms(whole, { start: 400, end: 401 })).toBeUndefined();
  });
});
