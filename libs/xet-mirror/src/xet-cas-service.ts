import type { Readable } from 'node:stream';
import { HubError } from '@dingo/hub-protocol';
import { UpstreamUnreachableError } from '@dingo/upstream';
import {
  selectTerms,
  XetHasher,
  xetHashFromHex,
  xetHashToHex,
  type FileRange,
  type ReconstructionV1,
  type ReconstructionV2,
} from '@dingo/xet';
import type { CasTokenClaims, CasTokens } from './cas-tokens';
import type { UpstreamCas, UpstreamReconstruction } from './upstream-cas';
import type { XetFileRecord, XetIndex, XorbRangeRef } from './xet-index';
import type { UpstreamRangeLocator, XorbRangeStore } from './xorb-range-store';

/** Upstream presigned URLs are reused this long (they live about an hour upstream). */
const UPSTREAM_URL_TTL_MS = 10 * 60_000;

export interface XorbRequest {
  xorb: string;
  chunkStart: number;
  chunkEnd: number;
  fileHash: string;
  token: string;
  signature: string;
}

export interface XorbAnswer {
  status: 206;
  headers: Record<string, string>;
  body: Readable;
  /** When the client asked for the whole stored range: its sha256, to check while streaming. */
  sha256?: string;
  onCorrupt: () => Promise<void>;
}

/**
 * The mirror as a Xet CAS for its clients. Reconstructions are answered from the index (a file's
 * terms are learned once, from upstream's whole-file reconstruction, under the caller's upstream
 * token) with fetch URLs on the mirror; xorb ranges are served from the chunk store and pulled
 * from upstream on a miss. A file is marked verified when all its chunks are stored and their
 * hashes aggregate to its Xet file hash; the request that completes a file is answered only after
 * that check, so a client never finishes a file from unverified bytes.
 */
export class XetCasService {
  /** What this process served to Xet clients (metrics, tests, benchmarks). */
  readonly served = { reconstructions: 0, xorbRanges: 0, xorbBytes: 0 };
  private readonly upstreamUrls = new Map<
    string,
    { fetches: UpstreamReconstruction['fetches']; at: number }
  >();
  private readonly learning = new Map<string, Promise<UpstreamReconstruction>>();

  constructor(
    private readonly index: XetIndex,
    private readonly ranges: XorbRangeStore,
    private readonly upstream: UpstreamCas,
    private readonly tokens: CasTokens,
  ) {}

  async reconstruction(
    fileHash: string,
    claims: CasTokenClaims,
    token: string,
    range: FileRange | undefined,
    version: 1 | 2,
    casBase: string,
  ): Promise<ReconstructionV1 | ReconstructionV2> {
    const file = await this.fileFor(fileHash, claims);
    const selection = selectTerms(
      file.terms.map((t) => ({
        xorb: t.xorb,
        chunkStart: t.chunkStart,
        chunkEnd: t.chunkEnd,
        unpacked: [t.unpackedLength],
      })),
      range,
    );
    if (!selection) throw HubError.rangeNotSatisfiable(file.size);

    const entries = new Map<string, XorbRangeRef>();
    for (const t of selection.terms) {
      const stored = await this.ranges.covering(t.hash, t.range.start, t.range.end);
      const entry = stored ?? coveringRef(file.ranges, t.hash, t.range.start, t.range.end);
      if (!entry)
        throw new HubError(502, 'UpstreamUnavailable', `No xorb range covers a term of ${fileHash}`);
      entries.set(`${entry.xorb}:${entry.chunkStart}-${entry.chunkEnd}`, pick(entry));
    }
    const url = (e: XorbRangeRef) => {
      const path = `${e.xorb}/${e.chunkStart}-${e.chunkEnd}`;
      const sig = this.tokens.sign(`${path}\n${fileHash}\n${token}`);
      return `${casBase}/xorbs/${path}?${new URLSearchParams({ f: fileHash, t: token, s: sig })}`;
    };
    const offset = selection.offsetIntoFirstRange;
    this.served.reconstructions++;
    if (version === 1) {
      const fetch_info: ReconstructionV1['fetch_info'] = {};
      for (const e of entries.values()) {
        (fetch_info[e.xorb] ??= []).push({
          range: { start: e.chunkStart, end: e.chunkEnd },
          url: url(e),
          url_range: { start: e.byteStart, end: e.byteEnd },
        });
      }
      return { offset_into_first_range: offset, terms: selection.terms, fetch_info };
    }
    const xorbs: ReconstructionV2['xorbs'] = {};
    for (const e of entries.values()) {
      (xorbs[e.xorb] ??= []).push({
        url: url(e),
        ranges: [
          { chunks: { start: e.chunkStart, end: e.chunkEnd }, bytes: { start: e.byteStart, end: e.byteEnd } },
        ],
      });
    }
    return { offset_into_first_range: offset, terms: selection.terms, xorbs };
  }

  /** Bytes of a xorb range the mirror handed out in a reconstruction (403 when the URL is not genuine or expired). */
  async xorb(req: XorbRequest, rangeHeader: string | undefined): Promise<XorbAnswer> {
    const path = `${req.xorb}/${req.chunkStart}-${req.chunkEnd}`;
    if (!this.tokens.verifySignature(`${path}\n${req.fileHash}\n${req.token}`, req.signature)) {
      throw new HubError(403, 'Forbidden', 'Invalid xorb URL signature');
    }
    const claims = this.tokens.open(req.token);
    if (!claims) throw new HubError(403, 'Forbidden', 'Xorb URL expired');
    const file = await this.index.getFile(req.fileHash);
    if (!file) throw HubError.entryNotFound();

    const { range: stored, fresh } = await this.ranges.ensure(
      req.xorb,
      req.chunkStart,
      req.chunkEnd,
      this.locator(file, claims, req),
    );
    if (fresh && !file.verified) await this.verifyIfComplete(file);

    const m = /^bytes=(\d+)-(\d+)$/.exec((rangeHeader ?? '').trim());
    const start = m ? Number(m[1]) : stored.byteStart;
    const end = m ? Number(m[2]) : stored.byteEnd;
    if (start < stored.byteStart || end > stored.byteEnd || end < start) {
      throw new HubError(416, 'BadRequest', 'Range outside this xorb range', {
        'Content-Range': 'bytes */*',
      });
    }
    this.served.xorbRanges++;
    this.served.xorbBytes += end - start + 1;
    return {
      status: 206,
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(end - start + 1),
        'Content-Range': `bytes ${start}-${end}/*`,
        ETag: `"${stored.sha256}"`,
      },
      body: await this.ranges.read(stored, start, end),
      sha256: start === stored.byteStart && end === stored.byteEnd ? stored.sha256 : undefined,
      onCorrupt: () => this.ranges.purge(stored),
    };
  }

  /** The file's reconstruction as this caller's repo sees it: from the index, else learned from upstream. */
  private async fileFor(fileHash: string, claims: CasTokenClaims): Promise<XetFileRecord> {
    const known = await this.index.getFile(fileHash);
    if (known && (await this.index.fileInRepo(fileHash, claims.type, claims.id))) return known;
    let r: UpstreamReconstruction;
    try {
      r = await this.learn(fileHash, claims);
    } catch (err) {
      if (!(err instanceof UpstreamUnreachableError)) throw err;
      if (known) {
        throw new HubError(
          503,
          'UpstreamUnavailable',
          `Cannot check that ${claims.id} holds this file while upstream is unreachable`,
        );
      }
      throw HubError.upstreamUnavailable(err.message);
    }
    await this.index.addFileRepo(fileHash, claims.type, claims.id);
    if (known) return known;
    const file = recordFrom(fileHash, r);
    await this.index.putFile(file);
    return file;
  }

  /** One upstream whole-file reconstruction per file at a time; its URLs are kept for the range pulls. */
  private learn(fileHash: string, claims: CasTokenClaims): Promise<UpstreamReconstruction> {
    const key = `${fileHash}\0${claims.type}\0${claims.id}\0${claims.up ?? ''}`;
    let p = this.learning.get(key);
    if (!p) {
      p = (async () => {
        const t = await this.upstream.token({ type: claims.type, id: claims.id }, claims.rev, claims.up);
        const r = await this.upstream.reconstruction(t, fileHash);
        this.upstreamUrls.set(fileHash, { fetches: r.fetches, at: Date.now() });
        return r;
      })().finally(() => this.learning.delete(key));
      this.learning.set(key, p);
    }
    return p;
  }

  private locator(file: XetFileRecord, claims: CasTokenClaims, req: XorbRequest): UpstreamRangeLocator {
    return async (refresh) => {
      const cached = this.upstreamUrls.get(file.fileHash);
      const fetches =
        !refresh && cached && Date.now() - cached.at < UPSTREAM_URL_TTL_MS
          ? cached.fetches
          : (await this.learn(file.fileHash, claims)).fetches;
      const f = fetches.find(
        (x) => x.xorb === req.xorb && x.chunks.start <= req.chunkStart && req.chunkEnd <= x.chunks.end,
      );
      if (!f)
        throw new HubError(
          502,
          'UpstreamUnavailable',
          `Upstream offers no range of xorb ${req.xorb} for ${path(req)}`,
        );
      return {
        xorb: f.xorb,
        chunkStart: f.chunks.start,
        chunkEnd: f.chunks.end,
        byteStart: f.bytes.start,
        byteEnd: f.bytes.end,
        url: f.url,
      };
    };
  }

  /** When every chunk of the file is stored: its chunk hashes must aggregate to its file hash. */
  private async verifyIfComplete(file: XetFileRecord): Promise<void> {
    const hasher = await XetHasher.create();
    const leaves: { hash: Buffer; size: number }[] = [];
    const used = new Map<string, Awaited<ReturnType<XorbRangeStore['covering']>>>();
    for (const t of file.terms) {
      const r = await this.ranges.covering(t.xorb, t.chunkStart, t.chunkEnd);
      if (!r) return; // not complete yet
      used.set(`${r.xorb}:${r.chunkStart}-${r.chunkEnd}`, r);
      let length = 0;
      for (let c = t.chunkStart; c < t.chunkEnd; c++) {
        const i = c - r.chunkStart;
        leaves.push({ hash: xetHashFromHex(r.chunkHashes[i]), size: r.unpackedLengths[i] });
        length += r.unpackedLengths[i];
      }
      if (length !== t.unpackedLength) return this.reject(file, used.values(), 'a term has the wrong length');
    }
    if (xetHashToHex(hasher.fileHash(leaves)) !== file.fileHash) {
      return this.reject(file, used.values(), 'its chunks do not hash to its Xet hash');
    }
    await this.index.setFileVerified(file.fileHash, true);
  }

  private async reject(
    file: XetFileRecord,
    ranges: Iterable<Awaited<ReturnType<XorbRangeStore['covering']>>>,
    why: string,
  ): Promise<never> {
    for (const r of ranges) if (r) await this.ranges.purge(r);
    throw new HubError(
      502,
      'IntegrityError',
      `Xet file ${file.fileHash} failed verification: ${why}; purged`,
    );
  }
}

function path(req: XorbRequest): string {
  return `${req.xorb}/${req.chunkStart}-${req.chunkEnd}`;
}

function pick(r: XorbRangeRef): XorbRangeRef {
  return {
    xorb: r.xorb,
    chunkStart: r.chunkStart,
    chunkEnd: r.chunkEnd,
    byteStart: r.byteStart,
    byteEnd: r.byteEnd,
  };
}

function coveringRef(
  refs: XorbRangeRef[],
  xorb: string,
  start: number,
  end: number,
): XorbRangeRef | undefined {
  return refs.find((r) => r.xorb === xorb && r.chunkStart <= start && end <= r.chunkEnd);
}

function recordFrom(fileHash: string, r: UpstreamReconstruction): XetFileRecord {
  if (r.offsetIntoFirstRange !== 0)
    throw new HubError(502, 'UpstreamUnavailable', 'Upstream answered a partial reconstruction');
  const ranges = new Map<string, XorbRangeRef>();
  for (const f of r.fetches) {
    ranges.set(`${f.xorb}:${f.chunks.start}-${f.chunks.end}`, {
      xorb: f.xorb,
      chunkStart: f.chunks.start,
      chunkEnd: f.chunks.end,
      byteStart: f.bytes.start,
      byteEnd: f.bytes.end,
    });
  }
  const terms = r.terms.map((t) => ({
    xorb: t.hash,
    chunkStart: t.range.start,
    chunkEnd: t.range.end,
    unpackedLength: t.unpacked_length,
  }));
  return {
    fileHash,
    size: terms.reduce((s, t) => s + t.unpackedLength, 0),
    terms,
    ranges: [...ranges.values()],
    verified: false,
  };
}
