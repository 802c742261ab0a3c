import type { RepoType } from '@dingo/hub-protocol';

/** A range of a xorb as the CAS lets it be fetched: chunks [chunkStart, chunkEnd), bytes [byteStart, byteEnd]. */
export interface XorbRangeRef {
  xorb: string;
  chunkStart: number;
  chunkEnd: number;
  /** In the xorb's serialized bytes; end inclusive. */
  byteStart: number;
  byteEnd: number;
}

export interface XetFileTerm {
  xorb: string;
  chunkStart: number;
  chunkEnd: number;
  unpackedLength: number;
}

/** A file as upstream's CAS reconstructs it: its terms, and the xorb ranges that cover them. */
export interface XetFileRecord {
  fileHash: string;
  size: number;
  terms: XetFileTerm[];
  ranges: XorbRangeRef[];
  /** Every chunk was fetched and the chunk hashes aggregate to `fileHash`. */
  verified: boolean;
}

/** A xorb range held in the chunk store, with what decoding it proved. */
export interface StoredXorbRange extends XorbRangeRef {
  /** Xet hash (hex) of each chunk. */
  chunkHashes: string[];
  unpackedLengths: number[];
  /** End of each encoded chunk, relative to byteStart. */
  packedEnds: number[];
  /** sha256 of the stored bytes (checked when served). */
  sha256: string;
}

export interface ContentXetHash {
  /** null: upstream said the content is not Xet-backed (checked at `checkedAt`). */
  xetHash: string | null;
  checkedAt: number;
}

/**
 * The Xet metadata port: files' reconstructions, which xorb ranges are stored, which repos a
 * file is known to belong to (a CAS token opens only its repo's files), and sha256 → Xet hash.
 * In-memory and SQLite here; distributed mode needs one shared by all gateways (MySQL tables of
 * the same shape, or these rows over the metadata service).
 */
export interface XetIndex {
  getFile(fileHash: string): Promise<XetFileRecord | undefined>;
  putFile(file: XetFileRecord): Promise<void>;
  setFileVerified(fileHash: string, verified: boolean): Promise<void>;
  /** Stored ranges of a xorb (any order). */
  rangesOf(xorb: string): Promise<StoredXorbRange[]>;
  putRange(range: StoredXorbRange): Promise<void>;
  deleteRange(xorb: string, chunkStart: number, chunkEnd: number): Promise<void>;
  addFileRepo(fileHash: string, repoType: RepoType, repoId: string): Promise<void>;
  fileInRepo(fileHash: string, repoType: RepoType, repoId: string): Promise<boolean>;
  getContentXetHash(sha256: string): Promise<ContentXetHash | undefined>;
  putContentXetHash(sha256: string, xetHash: string | null, checkedAt?: number): Promise<void>;
  close(): Promise<void>;
}

const rangeKey = (xorb: string, s: number, e: number) => `${xorb}:${s}-${e}`;

export class MemoryXetIndex implements XetIndex {
  private readonly files = new Map<string, XetFileRecord>();
  private readonly ranges = new Map<string, Map<string, StoredXorbRange>>();
  private readonly repos = new Set<string>();
  private readonly contents = new Map<string, ContentXetHash>();

  async getFile(fileHash: string) {
    const f = this.files.get(fileHash);
    return f && structuredClone(f);
  }
  async putFile(file: XetFileRecord) {
    this.files.set(file.fileHash, structuredClone(file));
  }
  async setFileVerified(fileHash: string, verified: boolean) {
    const f = this.files.get(fileHash);
    if (f) f.verified = verified;
  }
  async rangesOf(xorb: string) {
    return [...(this.ranges.get(xorb)?.values() ?? [])].map((r) => structuredClone(r));
  }
  async putRange(range: StoredXorbRange) {
    let m = this.ranges.get(range.xorb);
    if (!m) this.ranges.set(range.xorb, (m = new Map()));
    m.set(rangeKey(range.xorb, range.chunkStart, range.chunkEnd), structuredClone(range));
  }
  async deleteRange(xorb: string, chunkStart: number, chunkEnd: number) {
    this.ranges.get(xorb)?.delete(rangeKey(xorb, chunkStart, chunkEnd));
  }
  async addFileRepo(fileHash: string, repoType: RepoType, repoId: string) {
    this.repos.add(`${fileHash}\0${repoType}\0${repoId}`);
  }
  async fileInRepo(fileHash: string, repoType: RepoType, repoId: string) {
    return this.repos.has(`${fileHash}\0${repoType}\0${repoId}`);
  }
  async getContentXetHash(sha256: string) {
    return this.contents.get(sha256);
  }
  async putContentXetHash(sha256: string, xetHash: string | null, checkedAt = Date.now()) {
    this.contents.set(sha256, { xetHash, checkedAt });
  }
  async close() {}
}
