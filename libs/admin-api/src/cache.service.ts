import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { ACCESS_DATA_SOURCE, AppAbility, permittedRows } from '@dingo/auth';
import { blobKeyFor } from '@dingo/chunk-store';
import type { Mirror } from '@dingo/mirror';
import { RepoRef, repoKey } from '@dingo/hub-protocol';
import { ApiCacheEntity, BlobEntity, FileEntity, RepoEntity, RevisionEntity } from '@dingo/metadata-store';
import { notFound } from './errors';
import { iso, likeEscaped } from './views';

/** The mirror whose blobs a deletion frees (and whose access rules a listing follows); optional in tests. */
export const CACHE_MIRROR = Symbol('CACHE_MIRROR');

interface CachedRepoRow {
  repoType: string;
  repoId: string;
  files: number | string;
  bytes: number | string | null;
  lastFetchedAt: number | string | null;
}

/**
 * What the mirror holds, per repo, read from the metadata tables; and deleting a repo from the
 * cache: its file, revision and API records, and the blobs no other repo shares (their chunks too).
 */
@Injectable()
export class CacheService {
  constructor(
    @Inject(ACCESS_DATA_SOURCE) private readonly ds: DataSource,
    @Optional() @Inject(CACHE_MIRROR) private readonly mirror?: Mirror,
  ) {}

  /**
   * Cached repos the caller could download: within its grants, and for gated or private repos only
   * when the download path would serve it the cached copy (upstream accepted its credentials).
   */
  async list(
    ability: AppAbility,
    authorization: string | undefined,
    q: { type?: string; search?: string; limit?: number; offset?: number },
  ) {
    const qb = this.ds
      .getRepository(FileEntity)
      .createQueryBuilder('f')
      .select('f.repoType', 'repoType')
      .addSelect('f.repoId', 'repoId')
      .addSelect('COUNT(*)', 'files')
      .addSelect('SUM(f.size)', 'bytes')
      .addSelect('MAX(f.fetchedAt)', 'lastFetchedAt')
      .groupBy('f.repoType')
      .addGroupBy('f.repoId')
      .orderBy('f.repoId', 'ASC');
    if (q.type) qb.andWhere('f.repoType = :type', { type: q.type });
    if (q.search) qb.andWhere("f.repoId LIKE :search ESCAPE '!'", { search: `%${likeEscaped(q.search)}%` });
    const rows = await qb.getRawMany<CachedRepoRow>();
    const granted = permittedRows(ability, 'read', 'Repo', rows, (r) => ({ type: r.repoType, id: r.repoId }));
    const visible: CachedRepoRow[] = [];
    for (const r of granted)
      if (await this.mayServe({ type: r.repoType as RepoRef['type'], id: r.repoId }, authorization))
        visible.push(r);
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 100;
    return {
      total: visible.length,
      items: visible.slice(offset, offset + limit).map((r) => ({
        type: r.repoType,
        id: r.repoId,
        files: Number(r.files),
        bytes: Number(r.bytes ?? 0),
        lastFetchedAt: iso(r.lastFetchedAt === null ? null : Number(r.lastFetchedAt)),
      })),
    };
  }

  async files(repo: RepoRef, authorization: string | undefined) {
    if (!(await this.mayServe(repo, authorization))) throw notFound('Cached repo');
    const files = await this.ds
      .getRepository(FileEntity)
      .find({ where: { repoType: repo.type, repoId: repo.id }, order: { path: 'ASC' } });
    if (!files.length) throw notFound('Cached repo');
    const blobs = await this.blobsOf(files);
    return files.map((f) => {
      const blob = blobs.get(blobKeyOf(f));
      return {
        commit: f.commit,
        path: f.path,
        size: f.size,
        lfs: f.lfs,
        sha256: f.sha256,
        blobId: f.blobId,
        state: blob?.state ?? 'absent',
      };
    });
  }

  async remove(repo: RepoRef) {
    const files = await this.ds.getRepository(FileEntity).findBy({ repoType: repo.type, repoId: repo.id });
    const key = repoKey(repo);
    const known = files.length || (await this.ds.getRepository(RepoEntity).existsBy({ key }));
    if (!known) throw notFound('Cached repo');
    const candidateBlobs = [...new Set(files.map(blobKeyOf))];
    await this.ds.transaction(async (tx) => {
      await tx.getRepository(FileEntity).delete({ repoType: repo.type, repoId: repo.id });
      await tx.getRepository(RevisionEntity).delete({ repoType: repo.type, repoId: repo.id });
      await tx.getRepository(ApiCacheEntity).delete({ repoKey: key });
      await tx.getRepository(RepoEntity).delete({ key });
    });
    this.mirror?.forgetRepo(repo);
    let blobsDeleted = 0;
    for (const blobKey of candidateBlobs) {
      if (await this.stillReferenced(blobKey)) continue;
      await this.deleteBlob(blobKey);
      blobsDeleted++;
    }
    return { type: repo.type, id: repo.id, filesForgotten: files.length, blobsDeleted };
  }

  /** The download path's rule for cached copies (no mirror wired: tests of the listing alone). */
  private mayServe(repo: RepoRef, authorization: string | undefined): Promise<boolean> {
    return this.mirror ? this.mirror.mayServeCached(repo, authorization) : Promise.resolve(true);
  }

  private async stillReferenced(blobKey: string): Promise<boolean> {
    const [kind, hash] = [blobKey.slice(0, blobKey.indexOf('-')), blobKey.slice(blobKey.indexOf('-') + 1)];
    const where = kind === 'sha256' ? { sha256: hash } : { blobId: hash, lfs: false };
    return this.ds.getRepository(FileEntity).existsBy(where);
  }

  private async deleteBlob(blobKey: string): Promise<void> {
    await this.mirror?.forgetBlob(blobKey);
    await this.ds.getRepository(BlobEntity).delete({ key: blobKey });
  }

  private async blobsOf(files: FileEntity[]): Promise<Map<string, BlobEntity>> {
    const keys = [...new Set(files.map(blobKeyOf))];
    const rows = keys.length ? await this.ds.getRepository(BlobEntity).findBy({ key: In(keys) }) : [];
    return new Map(rows.map((b) => [b.key, b]));
  }
}

function blobKeyOf(f: FileEntity): string {
  return blobKeyFor({ sha256: f.sha256, gitBlobId: f.blobId });
}
