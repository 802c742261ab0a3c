import { createHash } from 'node:crypto';
import { DataSource, In, MoreThan, Repository } from 'typeorm';
import { RepoType } from '@dingo/hub-protocol';
import {
  ApiCacheEntity,
  BlobEntity,
  ChunkEntity,
  FileEntity,
  ManifestEntity,
  PinEntity,
  RepoEntity,
  RevisionEntity,
} from './entities';
import {
  ApiCacheRecord,
  BlobRecord,
  BlobState,
  ChunkRecord,
  ChunkTier,
  CommitManifestRecord,
  FileRecord,
  PinRecord,
  StorageUsage,
  StoredChunk,
  MetadataPort,
  RepoRecord,
  RevisionRecord,
} from './records';

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

/**
 * The two statements run once or more per chunk pulled, as plain SQL: TypeORM's query builder
 * costs ~150 us of CPU per findOneBy and ~330 us per upsert, 10x the statement itself, which a
 * 4 GiB file in 1 MiB chunks pays 4096 times. Backticks quote `index` in both SQLite and MySQL.
 */
const CHUNK_COLUMNS = '(`blobKey`, `index`, `size`, `blockSize`, `blockDigests`, `tier`, `storedSize`)';
const CHUNK_SQL = {
  get: 'SELECT `size`, `blockSize`, `blockDigests` FROM `chunks` WHERE `blobKey` = ? AND `index` = ?',
  putSqlite:
    `INSERT INTO \`chunks\` ${CHUNK_COLUMNS} VALUES (?, ?, ?, ?, ?, 'hot', NULL) ` +
    'ON CONFLICT (`blobKey`, `index`) DO UPDATE SET `size` = excluded.`size`, ' +
    "`blockSize` = excluded.`blockSize`, `blockDigests` = excluded.`blockDigests`, `tier` = 'hot', `storedSize` = NULL",
  putMysql:
    `INSERT INTO \`chunks\` ${CHUNK_COLUMNS} VALUES (?, ?, ?, ?, ?, 'hot', NULL) ` +
    'ON DUPLICATE KEY UPDATE `size` = VALUES(`size`), `blockSize` = VALUES(`blockSize`), ' +
    "`blockDigests` = VALUES(`blockDigests`), `tier` = 'hot', `storedSize` = NULL",
};

interface ChunkRow {
  size: number;
  blockSize: number;
  blockDigests: string | null;
}

/** The metadata port on a TypeORM data source (SQLite embedded, MySQL in production). */
export class TypeOrmMetadataStore implements MetadataPort {
  private readonly revisions: Repository<RevisionEntity>;
  private readonly files: Repository<FileEntity>;
  private readonly blobs: Repository<BlobEntity>;
  private readonly chunks: Repository<ChunkEntity>;
  private readonly repos: Repository<RepoEntity>;
  private readonly apiCache: Repository<ApiCacheEntity>;
  private readonly manifests: Repository<ManifestEntity>;
  private readonly pins: Repository<PinEntity>;

  constructor(private readonly ds: DataSource) {
    this.revisions = ds.getRepository(RevisionEntity);
    this.files = ds.getRepository(FileEntity);
    this.blobs = ds.getRepository(BlobEntity);
    this.chunks = ds.getRepository(ChunkEntity);
    this.repos = ds.getRepository(RepoEntity);
    this.apiCache = ds.getRepository(ApiCacheEntity);
    this.manifests = ds.getRepository(ManifestEntity);
    this.pins = ds.getRepository(PinEntity);
  }

  async getRevision(
    repoType: RepoType,
    repoId: string,
    revision: string,
  ): Promise<RevisionRecord | undefined> {
    const row = await this.revisions.findOneBy({ key: sha1(`${repoType}/${repoId}@${revision}`) });
    if (!row) return undefined;
    const { key: _key, ...rest } = row;
    return { ...rest, repoType: row.repoType as RepoType };
  }

  async putRevision(r: RevisionRecord): Promise<void> {
    await this.revisions.upsert({ key: sha1(`${r.repoType}/${r.repoId}@${r.revision}`), ...r }, ['key']);
  }

  async getFile(
    repoType: RepoType,
    repoId: string,
    commit: string,
    path: string,
  ): Promise<FileRecord | undefined> {
    const row = await this.files.findOneBy({ key: sha1(`${repoType}/${repoId}@${commit}:${path}`) });
    if (!row) return undefined;
    const { key: _key, ...rest } = row;
    return { ...rest, repoType: row.repoType as RepoType, lfs: Boolean(row.lfs) };
  }

  async putFile(r: FileRecord): Promise<void> {
    await this.files.upsert({ key: sha1(`${r.repoType}/${r.repoId}@${r.commit}:${r.path}`), ...r }, ['key']);
  }

  async getBlob(key: string): Promise<BlobRecord | undefined> {
    const row = await this.blobs.findOneBy({ key });
    return row ? { ...row, state: row.state as BlobState } : undefined;
  }

  async putBlob(r: BlobRecord): Promise<void> {
    await this.blobs.upsert(r, ['key']);
  }

  async setBlobState(key: string, state: BlobState): Promise<void> {
    await this.blobs.update({ key }, { state, lastAccessAt: Date.now() });
  }

  async getChunk(blobKey: string, index: number): Promise<ChunkRecord | undefined> {
    const [row] = (await this.ds.query(CHUNK_SQL.get, [blobKey, index])) as ChunkRow[];
    return row
      ? { blobKey, index, size: row.size, blockSize: row.blockSize, blockDigests: row.blockDigests ?? '' }
      : undefined;
  }

  async countChunks(blobKey: string): Promise<number> {
    return this.chunks.countBy({ blobKey });
  }

  async listChunks(blobKey: string): Promise<ChunkRecord[]> {
    return (await this.chunks.find({ where: { blobKey }, order: { index: 'ASC' } })).map(chunkRecord);
  }

  async scanChunks(
    after: { blobKey: string; index: number } | undefined,
    limit: number,
  ): Promise<ChunkRecord[]> {
    const rows = await this.chunks.find({
      where: after
        ? [{ blobKey: after.blobKey, index: MoreThan(after.index) }, { blobKey: MoreThan(after.blobKey) }]
        : {},
      order: { blobKey: 'ASC', index: 'ASC' },
      take: limit,
    });
    return rows.map(chunkRecord);
  }

  async putChunk(r: ChunkRecord): Promise<void> {
    // A chunk (re)stored by a pull lands on the hot tier, uncompressed.
    const upsert = this.ds.options.type === 'mysql' ? CHUNK_SQL.putMysql : CHUNK_SQL.putSqlite;
    await this.ds.query(upsert, [r.blobKey, r.index, r.size, r.blockSize, r.blockDigests]);
  }

  async setChunkPlacement(
    blobKey: string,
    index: number,
    tier: ChunkTier,
    storedSize: number,
  ): Promise<void> {
    await this.chunks.update({ blobKey, index }, { tier, storedSize });
  }

  async storageUsage(): Promise<StorageUsage[]> {
    const rows = await this.chunks
      .createQueryBuilder('c')
      .select('c.tier', 'tier')
      .addSelect('SUM(COALESCE(c.storedSize, c.size))', 'bytes')
      .addSelect('COUNT(*)', 'chunks')
      .groupBy('c.tier')
      .getRawMany<{ tier: ChunkTier; bytes: string | number | null; chunks: string | number }>();
    return rows.map((r) => ({ tier: r.tier, bytes: Number(r.bytes ?? 0), chunks: Number(r.chunks) }));
  }

  async leastRecentChunks(tier: ChunkTier, accessedBefore: number, limit: number): Promise<StoredChunk[]> {
    const rows = await this.chunks
      .createQueryBuilder('c')
      .innerJoin(BlobEntity, 'b', 'b.key = c.blobKey')
      .select(['c.blobKey AS blobKey', 'c.index AS idx', 'c.size AS size', 'c.tier AS tier'])
      .addSelect('COALESCE(c.storedSize, c.size)', 'storedSize')
      .addSelect('b.lastAccessAt', 'lastAccessAt')
      .where('c.tier = :tier', { tier })
      .andWhere('b.lastAccessAt < :before', { before: accessedBefore })
      .orderBy('b.lastAccessAt', 'ASC')
      .addOrderBy('c.blobKey', 'ASC')
      .addOrderBy('c.index', 'DESC')
      .limit(limit)
      .getRawMany<Record<string, string | number>>();
    return rows.map((r) => ({
      blobKey: String(r.blobKey),
      index: Number(r.idx),
      size: Number(r.size),
      tier: r.tier as ChunkTier,
      storedSize: Number(r.storedSize),
      blobLastAccessAt: Number(r.lastAccessAt),
    }));
  }

  async touchBlobs(keys: string[], at: number): Promise<void> {
    for (let i = 0; i < keys.length; i += 500)
      await this.blobs.update({ key: In(keys.slice(i, i + 500)) }, { lastAccessAt: at });
  }

  async listPins(): Promise<PinRecord[]> {
    const rows = await this.pins.find({ order: { repoType: 'ASC', repoId: 'ASC' } });
    return rows.map((r) => ({ ...r, repoType: r.repoType as RepoType }));
  }

  async putPin(r: PinRecord): Promise<void> {
    await this.pins.upsert(r, ['repoType', 'repoId']);
  }

  async deletePin(repoType: RepoType, repoId: string): Promise<boolean> {
    return ((await this.pins.delete({ repoType, repoId })).affected ?? 0) > 0;
  }

  async pinnedBlobKeys(): Promise<string[]> {
    const keys = new Set<string>();
    for (const pin of await this.pins.find()) {
      const files = await this.files.find({
        select: { sha256: true, blobId: true, lfs: true },
        where: { repoType: pin.repoType, repoId: pin.repoId },
      });
      for (const f of files) keys.add(f.lfs && f.sha256 ? `sha256-${f.sha256}` : `gitsha1-${f.blobId}`);
    }
    return [...keys];
  }

  async deleteChunk(blobKey: string, index: number): Promise<void> {
    await this.chunks.delete({ blobKey, index });
  }

  async getRepo(key: string): Promise<RepoRecord | undefined> {
    const row = await this.repos.findOneBy({ key });
    return row ? { ...row, visibility: row.visibility as RepoRecord['visibility'] } : undefined;
  }

  async putRepo(r: RepoRecord): Promise<void> {
    await this.repos.upsert(r, ['key']);
  }

  async getManifest(
    repoType: RepoType,
    repoId: string,
    commit: string,
  ): Promise<CommitManifestRecord | undefined> {
    const row = await this.manifests.findOneBy({ key: sha1(`${repoType}/${repoId}@${commit}`) });
    if (!row) return undefined;
    return {
      repoType: row.repoType as RepoType,
      repoId: row.repoId,
      commit: row.commit,
      entries: JSON.parse(Buffer.from(row.entries).toString('utf8')),
      fetchedAt: row.fetchedAt,
    };
  }

  async putManifest(r: CommitManifestRecord): Promise<void> {
    await this.manifests.upsert(
      {
        key: sha1(`${r.repoType}/${r.repoId}@${r.commit}`),
        repoType: r.repoType,
        repoId: r.repoId,
        commit: r.commit,
        entries: Buffer.from(JSON.stringify(r.entries), 'utf8'),
        fetchedAt: r.fetchedAt,
      },
      ['key'],
    );
  }

  async getApiCache(key: string): Promise<ApiCacheRecord | undefined> {
    const row = await this.apiCache.findOneBy({ key });
    if (!row) return undefined;
    return {
      ...row,
      headers: JSON.parse(row.headers),
      body: Buffer.from(row.body),
      immutable: Boolean(row.immutable),
    };
  }

  async putApiCache(r: ApiCacheRecord): Promise<void> {
    await this.apiCache.upsert({ ...r, headers: JSON.stringify(r.headers) }, ['key']);
  }

  async ping(): Promise<void> {
    await this.ds.query('SELECT 1');
  }
}

function chunkRecord(row: ChunkEntity): ChunkRecord {
  const { tier: _tier, storedSize: _stored, ...chunk } = row;
  return { ...chunk, blockDigests: row.blockDigests ?? '' };
}
