import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  ACCESS_DATA_SOURCE,
  AppAbility,
  GrantEntity,
  permittedRows,
  repoPatternMatches,
  RepoTypeOrAny,
  TeamEntity,
} from '@dingo/auth';
import { blobKeyFor } from '@dingo/chunk-store';
import { RepoRef, RepoType } from '@dingo/hub-protocol';
import { ChunkEntity, FileEntity } from '@dingo/metadata-store';
import type { Mirror } from '@dingo/mirror';
import { CACHE_MIRROR } from './cache.service';
import { notFound } from './errors';

interface RepoUsage {
  type: RepoType;
  id: string;
  files: number;
  /** Sum of the sizes of its files (every revision the mirror knows). */
  logicalBytes: number;
  /** Bytes on disk of the distinct blobs it references (shared blobs count for each repo). */
  storedBytes: number;
  pinned: boolean;
}

/**
 * What the cache holds and costs, per tier, per repo and per team (the repos a team can read);
 * content-hash dedup savings; pins; and eviction rounds on demand.
 */
@Injectable()
export class StorageService {
  constructor(
    @Inject(ACCESS_DATA_SOURCE) private readonly ds: DataSource,
    @Optional() @Inject(CACHE_MIRROR) private readonly mirror?: Mirror,
  ) {}

  async usage(ability: AppAbility, limit: number) {
    const mirror = this.requireMirror();
    const [tiers, pins, repos] = [
      await mirror.storageUsage(),
      await mirror.pins.list(),
      await this.perRepo(),
    ];
    const pinned = new Set(pins.map((p) => `${p.repoType}/${p.repoId}`));
    for (const r of repos) r.pinned = pinned.has(`${r.type}/${r.id}`);
    const visible = permittedRows(ability, 'read', 'Repo', repos, (r) => ({ type: r.type, id: r.id }));
    const dedup = await this.dedup();
    return {
      tiers,
      storedBytes: tiers.reduce((n, t) => n + t.bytes, 0),
      dedup,
      repos: visible.sort((a, b) => b.storedBytes - a.storedBytes).slice(0, limit),
      teams: ability.can('read', 'Team') ? await this.perTeam(repos) : undefined,
    };
  }

  async listPins(ability: AppAbility) {
    const pins = await this.requireMirror().pins.list();
    return permittedRows(ability, 'read', 'Repo', pins, (p) => ({ type: p.repoType, id: p.repoId }));
  }

  async pin(repo: RepoRef, by: string | undefined) {
    await this.requireMirror().pins.add(repo, by ?? null);
    return { type: repo.type, id: repo.id, pinned: true };
  }

  async unpin(repo: RepoRef) {
    if (!(await this.requireMirror().pins.remove(repo))) throw notFound('Pin');
    return { type: repo.type, id: repo.id, pinned: false };
  }

  evict() {
    return this.requireMirror().enforceStorage();
  }

  private requireMirror(): Mirror {
    if (!this.mirror) throw notFound('Storage');
    return this.mirror;
  }

  /** Per repo: files, logical bytes, and the stored bytes of the distinct blobs it references. */
  private async perRepo(): Promise<RepoUsage[]> {
    const stored = await this.storedByBlob();
    const files = await this.ds.getRepository(FileEntity).find({
      select: { repoType: true, repoId: true, size: true, sha256: true, blobId: true, lfs: true },
    });
    const repos = new Map<string, RepoUsage & { blobs: Set<string> }>();
    for (const f of files) {
      const key = `${f.repoType}/${f.repoId}`;
      let r = repos.get(key);
      if (!r) {
        r = {
          type: f.repoType as RepoType,
          id: f.repoId,
          files: 0,
          logicalBytes: 0,
          storedBytes: 0,
          pinned: false,
          blobs: new Set(),
        };
        repos.set(key, r);
      }
      r.files++;
      r.logicalBytes += f.size;
      const blob = blobKeyFor({ sha256: f.lfs ? f.sha256 : null, gitBlobId: f.blobId });
      if (!r.blobs.has(blob)) {
        r.blobs.add(blob);
        r.storedBytes += stored.get(blob) ?? 0;
      }
    }
    return [...repos.values()].map(({ blobs: _blobs, ...r }) => r);
  }

  /** What content addressing saved: bytes every file record names, against the distinct blobs stored. */
  private async dedup() {
    const stored = await this.storedByBlob();
    const files = await this.ds
      .getRepository(FileEntity)
      .find({ select: { size: true, sha256: true, blobId: true, lfs: true } });
    let referenced = 0;
    for (const f of files)
      if (stored.has(blobKeyFor({ sha256: f.lfs ? f.sha256 : null, gitBlobId: f.blobId })))
        referenced += f.size;
    const unique = [...stored.values()].reduce((n, b) => n + b, 0);
    return { referencedBytes: referenced, storedBytes: unique, savedBytes: Math.max(0, referenced - unique) };
  }

  private async storedByBlob(): Promise<Map<string, number>> {
    const rows = await this.ds
      .getRepository(ChunkEntity)
      .createQueryBuilder('c')
      .select('c.blobKey', 'blobKey')
      .addSelect('SUM(COALESCE(c.storedSize, c.size))', 'bytes')
      .groupBy('c.blobKey')
      .getRawMany<{ blobKey: string; bytes: string | number }>();
    return new Map(rows.map((r) => [r.blobKey, Number(r.bytes)]));
  }

  /** Per team: the repos its grants let it read, and what they hold. */
  private async perTeam(repos: RepoUsage[]) {
    const teams = await this.ds.getRepository(TeamEntity).find();
    const grants = await this.ds.getRepository(GrantEntity).findBy({ subjectType: 'team' });
    return teams.map((team) => {
      const own = grants.filter((g) => g.subjectId === team.id);
      const readable = repos.filter((r) =>
        own.some((g) => repoPatternMatches(g.pattern, g.repoType as RepoTypeOrAny, r)),
      );
      return {
        id: team.id,
        name: team.name,
        repos: readable.length,
        logicalBytes: readable.reduce((n, r) => n + r.logicalBytes, 0),
        storedBytes: readable.reduce((n, r) => n + r.storedBytes, 0),
      };
    });
  }
}
