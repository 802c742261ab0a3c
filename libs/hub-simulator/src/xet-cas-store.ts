import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  XetChunker,
  XetCompression,
  XetHasher,
  XorbBuilder,
  XORB_MAX_BYTES,
  xetHashToHex,
  type ChunkRange,
  type HttpByteRange,
  type StoredTerm,
  type XorbLayoutLookup,
} from '@dingo/xet';

export interface XetCasSettings {
  compression: XetCompression;
  /** Chunk bytes per xorb (64 MiB like the Hub; tests lower it to get several xorbs per file). */
  xorbBytes: number;
}

interface StoredXorb {
  diskPath: string;
  /** Serialized size including the footer. */
  size: number;
  chunkEnds: number[];
}

export interface XetFile {
  hash: string;
  size: number;
  terms: StoredTerm[];
}

/** A xorb being filled: its terms learn its hash when it is finished. */
interface OpenXorb {
  builder: XorbBuilder;
  handle: FileHandle;
  tmpPath: string;
  hash?: string;
}

interface TermDraft {
  xorb: OpenXorb | string;
  chunkStart: number;
  unpacked: number[];
}

/**
 * The simulator's Xet storage: file contents are cut into chunks, chunks deduplicated against
 * everything stored before (across files and repos, like the Hub's CAS), new chunks packed into
 * xorbs on disk (`xorbs/<hash>`, real format with footer), and each file kept as its term list.
 */
export class XetCasStore implements XorbLayoutLookup {
  private readonly dir: string;
  private readonly xorbs = new Map<string, StoredXorb>();
  private readonly files = new Map<string, XetFile>();
  private readonly bySha256 = new Map<string, Promise<XetFile>>();
  /** Chunk hash → where it is stored. */
  private readonly chunks = new Map<string, { xorb: OpenXorb | string; index: number }>();
  private queue: Promise<unknown> = Promise.resolve();
  private tmpCount = 0;

  constructor(
    dataDir: string,
    private readonly settings: XetCasSettings = {
      compression: XetCompression.Lz4,
      xorbBytes: XORB_MAX_BYTES,
    },
  ) {
    this.dir = join(dataDir, 'xorbs');
  }

  /** Stores a content (once per sha256) and returns its Xet file. Ingests run one at a time. */
  ingest(sha256: string, diskPath: string): Promise<XetFile> {
    let p = this.bySha256.get(sha256);
    if (!p) {
      p = this.queue.then(() => this.ingestNow(diskPath));
      this.queue = p.catch(() => undefined);
      this.bySha256.set(sha256, p);
      p.catch(() => this.bySha256.delete(sha256));
    }
    return p;
  }

  file(hash: string): XetFile | undefined {
    return this.files.get(hash);
  }

  xorb(hash: string): StoredXorb | undefined {
    return this.xorbs.get(hash);
  }

  packedRange(xorb: string, chunks: ChunkRange): HttpByteRange {
    const x = this.xorbs.get(xorb);
    if (!x || chunks.end > x.chunkEnds.length || chunks.start >= chunks.end) {
      throw new Error(`No chunks ${chunks.start}..${chunks.end} in xorb ${xorb}`);
    }
    return {
      start: chunks.start === 0 ? 0 : x.chunkEnds[chunks.start - 1],
      end: x.chunkEnds[chunks.end - 1] - 1,
    };
  }

  private async ingestNow(diskPath: string): Promise<XetFile> {
    await mkdir(this.dir, { recursive: true });
    const hasher = await XetHasher.create();
    const chunker = new XetChunker();
    const leaves: { hash: Buffer; size: number }[] = [];
    const drafts: TermDraft[] = [];
    let open: OpenXorb | undefined;
    let size = 0;

    const place = async (data: Buffer) => {
      const hash = hasher.chunkHash(data);
      leaves.push({ hash, size: data.length });
      size += data.length;
      const hex = hash.toString('hex');
      let where = this.chunks.get(hex);
      if (!where) {
        if (open && !open.builder.fits(data.length)) open = await this.close(open);
        open ??= await this.openXorb(hasher);
        const { index, encoded } = open.builder.add(data, hash);
        await open.handle.write(encoded);
        where = { xorb: open, index };
        this.chunks.set(hex, where);
      }
      const last = drafts[drafts.length - 1];
      if (last && last.xorb === where.xorb && last.chunkStart + last.unpacked.length === where.index) {
        last.unpacked.push(data.length);
      } else {
        drafts.push({ xorb: where.xorb, chunkStart: where.index, unpacked: [data.length] });
      }
    };

    for await (const piece of createReadStream(diskPath, { highWaterMark: 1 << 20 })) {
      for (const chunk of chunker.push(piece as Buffer)) await place(chunk);
    }
    for (const chunk of chunker.finish()) await place(chunk);
    if (open) await this.close(open);

    const file: XetFile = {
      hash: xetHashToHex(hasher.fileHash(leaves)),
      size,
      terms: drafts.map((d) => ({
        xorb: typeof d.xorb === 'string' ? d.xorb : d.xorb.hash!,
        chunkStart: d.chunkStart,
        unpacked: d.unpacked,
      })),
    };
    this.files.set(file.hash, file);
    return file;
  }

  private async openXorb(hasher: XetHasher): Promise<OpenXorb> {
    const tmpPath = join(this.dir, `.building-${process.pid}-${this.tmpCount++}`);
    return {
      builder: new XorbBuilder(hasher, this.settings.compression, this.settings.xorbBytes),
      handle: await open(tmpPath, 'w'),
      tmpPath,
    };
  }

  /** Writes the footer, names the xorb by its hash, and points its chunks and terms at it. */
  private async close(x: OpenXorb): Promise<undefined> {
    const built = x.builder.finish();
    await x.handle.write(built.footer);
    await x.handle.close();
    const diskPath = join(this.dir, built.hashHex);
    await rename(x.tmpPath, diskPath);
    x.hash = built.hashHex;
    this.xorbs.set(built.hashHex, {
      diskPath,
      size: (await stat(diskPath)).size,
      chunkEnds: built.chunkEnds,
    });
    for (const [hex, where] of this.chunks) {
      if (where.xorb === x) this.chunks.set(hex, { xorb: built.hashHex, index: where.index });
    }
    return undefined;
  }
}
