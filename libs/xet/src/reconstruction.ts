/**
 * The CAS reconstruction API's JSON (`GET /v1/reconstructions/{file}` and `/v2/…`) and the logic
 * that answers it from a file's term list. Shared by the upstream simulator and the mirror.
 */

/** Chunk index range within a xorb, end exclusive. */
export interface ChunkRange {
  start: number;
  end: number;
}

/** Byte range, end INCLUSIVE (as sent in an HTTP Range header). */
export interface HttpByteRange {
  start: number;
  end: number;
}

export interface ReconstructionTerm {
  /** Xorb hash (Xet hex string). */
  hash: string;
  unpacked_length: number;
  range: ChunkRange;
}

export interface FetchInfoV1 {
  range: ChunkRange;
  url: string;
  url_range: HttpByteRange;
}

export interface ReconstructionV1 {
  offset_into_first_range: number;
  terms: ReconstructionTerm[];
  fetch_info: Record<string, FetchInfoV1[]>;
}

export interface XorbRangeDescriptor {
  chunks: ChunkRange;
  bytes: HttpByteRange;
}

export interface XorbMultiRangeFetch {
  url: string;
  ranges: XorbRangeDescriptor[];
}

export interface ReconstructionV2 {
  offset_into_first_range: number;
  terms: ReconstructionTerm[];
  xorbs: Record<string, XorbMultiRangeFetch[]>;
}

/**
 * One term of a file as stored: chunks [chunkStart, chunkEnd) of a xorb. `unpacked` lists each
 * chunk's uncompressed length when known; a term known only as a whole (as a CAS answer gives it)
 * has `unpacked = [total]` and `chunkEnd` set, and is always selected whole.
 */
export interface StoredTerm {
  xorb: string;
  chunkStart: number;
  chunkEnd?: number;
  unpacked: readonly number[];
}

/** Where each chunk of a xorb sits in its serialized bytes. */
export interface XorbLayoutLookup {
  /** Byte range (end inclusive) of chunks [start, end) in the serialized xorb. */
  packedRange(xorb: string, chunks: ChunkRange): HttpByteRange;
}

/** A xorb range to fetch: the chunks and their bytes. */
export interface PlannedFetch {
  xorb: string;
  chunks: ChunkRange;
  bytes: HttpByteRange;
}

export interface TermSelection {
  offsetIntoFirstRange: number;
  terms: ReconstructionTerm[];
}

export interface ReconstructionPlan extends TermSelection {
  /** Per xorb, the merged chunk ranges that cover its terms. */
  fetches: PlannedFetch[];
}

/** File byte range, end EXCLUSIVE. */
export interface FileRange {
  start: number;
  end: number;
}

/**
 * Terms covering `range` of the file, trimmed to whole chunks where chunk lengths are known: the
 * first term starts at the chunk holding `range.start` (`offsetIntoFirstRange` into it), the last
 * ends with the chunk holding `range.end − 1`. Clients cut the last term at the range's end
 * themselves. Undefined when `range.start` is at or past the end of the file (HTTP 416).
 */
export function selectTerms(terms: readonly StoredTerm[], range?: FileRange): TermSelection | undefined {
  const size = terms.reduce((s, t) => s + t.unpacked.reduce((a, b) => a + b, 0), 0);
  const start = range?.start ?? 0;
  const end = Math.min(range?.end ?? size, size);
  if (start >= size || end <= start) return undefined;

  const out: ReconstructionTerm[] = [];
  let offsetIntoFirstRange = 0;
  let pos = 0;
  for (const term of terms) {
    const whole = term.chunkEnd !== undefined && term.chunkEnd - term.chunkStart !== term.unpacked.length;
    let first = -1;
    let last = -1;
    let unpacked = 0;
    for (let i = 0; i < term.unpacked.length; i++) {
      const chunkStart = pos;
      const chunkEnd = pos + term.unpacked[i];
      pos = chunkEnd;
      if (chunkEnd <= start || chunkStart >= end) continue;
      if (first < 0) {
        first = i;
        if (out.length === 0) offsetIntoFirstRange = start - chunkStart;
      }
      last = i;
      unpacked += term.unpacked[i];
    }
    if (first >= 0) {
      out.push({
        hash: term.xorb,
        unpacked_length: unpacked,
        range: whole
          ? { start: term.chunkStart, end: term.chunkEnd! }
          : { start: term.chunkStart + first, end: term.chunkStart + last + 1 },
      });
    }
    if (pos >= end) break;
  }
  return { offsetIntoFirstRange, terms: out };
}

/** `selectTerms` plus, per xorb, the fetches that cover the selected terms. */
export function planReconstruction(
  terms: readonly StoredTerm[],
  layout: XorbLayoutLookup,
  range?: FileRange,
): ReconstructionPlan | undefined {
  const selection = selectTerms(terms, range);
  return selection && { ...selection, fetches: mergeFetches(selection.terms, layout) };
}

/** Per xorb, overlapping or adjacent chunk ranges of the terms merged into one fetch each. */
function mergeFetches(terms: readonly ReconstructionTerm[], layout: XorbLayoutLookup): PlannedFetch[] {
  const byXorb = new Map<string, ChunkRange[]>();
  for (const t of terms) {
    const list = byXorb.get(t.hash) ?? [];
    list.push({ ...t.range });
    byXorb.set(t.hash, list);
  }
  const out: PlannedFetch[] = [];
  for (const [xorb, ranges] of byXorb) {
    ranges.sort((a, b) => a.start - b.start);
    const merged: ChunkRange[] = [];
    for (const r of ranges) {
      const prev = merged[merged.length - 1];
      if (prev && r.start <= prev.end) prev.end = Math.max(prev.end, r.end);
      else merged.push({ ...r });
    }
    for (const chunks of merged) out.push({ xorb, chunks, bytes: layout.packedRange(xorb, chunks) });
  }
  return out;
}

export function toReconstructionV1(
  plan: ReconstructionPlan,
  urlFor: (f: PlannedFetch) => string,
): ReconstructionV1 {
  const fetch_info: Record<string, FetchInfoV1[]> = {};
  for (const f of plan.fetches) {
    (fetch_info[f.xorb] ??= []).push({ range: f.chunks, url: urlFor(f), url_range: f.bytes });
  }
  return { offset_into_first_range: plan.offsetIntoFirstRange, terms: plan.terms, fetch_info };
}

/** V2: one URL per xorb range (we never ask clients for multi-range requests). */
export function toReconstructionV2(
  plan: ReconstructionPlan,
  urlFor: (f: PlannedFetch) => string,
): ReconstructionV2 {
  const xorbs: Record<string, XorbMultiRangeFetch[]> = {};
  for (const f of plan.fetches) {
    (xorbs[f.xorb] ??= []).push({ url: urlFor(f), ranges: [{ chunks: f.chunks, bytes: f.bytes }] });
  }
  return { offset_into_first_range: plan.offsetIntoFirstRange, terms: plan.terms, xorbs };
}

/** Reads a V1 or V2 answer into one shape: terms plus a flat list of fetches with their URLs. */
export function normalizeReconstruction(json: unknown): {
  offsetIntoFirstRange: number;
  terms: ReconstructionTerm[];
  fetches: (PlannedFetch & { url: string })[];
} {
  const r = json as Partial<ReconstructionV1 & ReconstructionV2>;
  if (!r || typeof r.offset_into_first_range !== 'number' || !Array.isArray(r.terms)) {
    throw new Error('Not a reconstruction answer');
  }
  const fetches: (PlannedFetch & { url: string })[] = [];
  for (const [xorb, list] of Object.entries(r.fetch_info ?? {})) {
    for (const f of list) fetches.push({ xorb, chunks: f.range, bytes: f.url_range, url: f.url });
  }
  for (const [xorb, list] of Object.entries(r.xorbs ?? {})) {
    for (const f of list)
      for (const d of f.ranges) fetches.push({ xorb, chunks: d.chunks, bytes: d.bytes, url: f.url });
  }
  return { offsetIntoFirstRange: r.offset_into_first_range, terms: r.terms, fetches };
}

/** `Range: bytes=a-b` (inclusive) → file range (end exclusive); undefined when absent or malformed. */
export function parseReconstructionRange(header: string | undefined): FileRange | undefined {
  const m = header ? /^bytes=(\d+)-(\d+)$/.exec(header.trim()) : null;
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]) + 1;
  return end > start ? { start, end } : undefined;
}
