import Database from 'better-sqlite3';
import type { RepoType } from '@dingo/hub-protocol';
import type { ContentXetHash, StoredXorbRange, XetFileRecord, XetIndex } from './xet-index';

/** The Xet index in one SQLite file (embedded mode), beside the mirror's own metadata. */
export class SqliteXetIndex implements XetIndex {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS xet_file (
        file_hash TEXT PRIMARY KEY, size INTEGER NOT NULL, terms TEXT NOT NULL, ranges TEXT NOT NULL,
        verified INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS xet_range (
        xorb TEXT NOT NULL, chunk_start INTEGER NOT NULL, chunk_end INTEGER NOT NULL,
        byte_start INTEGER NOT NULL, byte_end INTEGER NOT NULL, chunk_hashes TEXT NOT NULL,
        unpacked_lengths TEXT NOT NULL, packed_ends TEXT NOT NULL, sha256 TEXT NOT NULL,
        PRIMARY KEY (xorb, chunk_start, chunk_end));
      CREATE TABLE IF NOT EXISTS xet_file_repo (
        file_hash TEXT NOT NULL, repo_type TEXT NOT NULL, repo_id TEXT NOT NULL,
        PRIMARY KEY (file_hash, repo_type, repo_id));
      CREATE TABLE IF NOT EXISTS xet_content (
        sha256 TEXT PRIMARY KEY, xet_hash TEXT, checked_at INTEGER NOT NULL);
    `);
  }

  async getFile(fileHash: string): Promise<XetFileRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM xet_file WHERE file_hash = ?').get(fileHash) as
      { file_hash: string; size: number; terms: string; ranges: string; verified: number } | undefined;
    return (
      row && {
        fileHash: row.file_hash,
        size: row.size,
        terms: JSON.parse(row.terms),
        ranges: JSON.parse(row.ranges),
        verified: row.verified === 1,
      }
    );
  }

  async putFile(f: XetFileRecord): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO xet_file VALUES (?, ?, ?, ?, ?)')
      .run(f.fileHash, f.size, JSON.stringify(f.terms), JSON.stringify(f.ranges), f.verified ? 1 : 0);
  }

  async setFileVerified(fileHash: string, verified: boolean): Promise<void> {
    this.db.prepare('UPDATE xet_file SET verified = ? WHERE file_hash = ?').run(verified ? 1 : 0, fileHash);
  }

  async rangesOf(xorb: string): Promise<StoredXorbRange[]> {
    const rows = this.db.prepare('SELECT * FROM xet_range WHERE xorb = ?').all(xorb) as {
      xorb: string;
      chunk_start: number;
      chunk_end: number;
      byte_start: number;
      byte_end: number;
      chunk_hashes: string;
      unpacked_lengths: string;
      packed_ends: string;
      sha256: string;
    }[];
    return rows.map((r) => ({
      xorb: r.xorb,
      chunkStart: r.chunk_start,
      chunkEnd: r.chunk_end,
      byteStart: r.byte_start,
      byteEnd: r.byte_end,
      chunkHashes: splitHashes(r.chunk_hashes),
      unpackedLengths: JSON.parse(r.unpacked_lengths),
      packedEnds: JSON.parse(r.packed_ends),
      sha256: r.sha256,
    }));
  }

  async putRange(r: StoredXorbRange): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO xet_range VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        r.xorb,
        r.chunkStart,
        r.chunkEnd,
        r.byteStart,
        r.byteEnd,
        r.chunkHashes.join(''),
        JSON.stringify(r.unpackedLengths),
        JSON.stringify(r.packedEnds),
        r.sha256,
      );
  }

  async deleteRange(xorb: string, chunkStart: number, chunkEnd: number): Promise<void> {
    this.db
      .prepare('DELETE FROM xet_range WHERE xorb = ? AND chunk_start = ? AND chunk_end = ?')
      .run(xorb, chunkStart, chunkEnd);
  }

  async addFileRepo(fileHash: string, repoType: RepoType, repoId: string): Promise<void> {
    this.db.prepare('INSERT OR IGNORE INTO xet_file_repo VALUES (?, ?, ?)').run(fileHash, repoType, repoId);
  }

  async fileInRepo(fileHash: string, repoType: RepoType, repoId: string): Promise<boolean> {
    return !!this.db
      .prepare('SELECT 1 FROM xet_file_repo WHERE file_hash = ? AND repo_type = ? AND repo_id = ?')
      .get(fileHash, repoType, repoId);
  }

  async getContentXetHash(sha256: string): Promise<ContentXetHash | undefined> {
    const row = this.db
      .prepare('SELECT xet_hash, checked_at FROM xet_content WHERE sha256 = ?')
      .get(sha256) as { xet_hash: string | null; checked_at: number } | undefined;
    return row && { xetHash: row.xet_hash, checkedAt: row.checked_at };
  }

  async putContentXetHash(sha256: string, xetHash: string | null, checkedAt = Date.now()): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO xet_content VALUES (?, ?, ?)').run(sha256, xetHash, checkedAt);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function splitHashes(joined: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < joined.length; i += 64) out.push(joined.slice(i, i + 64));
  return out;
}
