import { DataSource } from 'typeorm';
import { RepoRef } from '@dingo/hub-protocol';
import { HostedCommitEntity, HostedRefEntity, HostedRepoEntity } from './entities';

export interface HostedRepo {
  repo: RepoRef;
  private: boolean;
  createdBy: string | null;
  createdAt: number;
}

export interface HostedCommit {
  id: string;
  parents: string[];
  tree: string;
  author: string;
  message: string;
  createdAt: number;
}

export interface HostedRef {
  /** `refs/heads/main`, `refs/tags/v1`. */
  ref: string;
  commit: string;
}

/** Persistence of hosted repos, refs and commits (the metadata database: SQLite or MySQL). */
export class HostedStore {
  constructor(private readonly ds: DataSource) {}

  async getRepo(repo: RepoRef): Promise<HostedRepo | undefined> {
    const row = await this.ds
      .getRepository(HostedRepoEntity)
      .findOneBy({ repoType: repo.type, repoId: repo.id });
    return row
      ? { repo, private: row.private, createdBy: row.createdBy, createdAt: row.createdAt }
      : undefined;
  }

  /** Creates the repo with its first commit on `main`; false when it already exists. */
  async createRepo(r: HostedRepo, first: HostedCommit): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const key = { repoType: r.repo.type, repoId: r.repo.id };
      if (await m.getRepository(HostedRepoEntity).findOneBy(key)) return false;
      await m.getRepository(HostedRepoEntity).insert({
        ...key,
        private: r.private,
        createdBy: r.createdBy,
        createdAt: r.createdAt,
      });
      await m.getRepository(HostedCommitEntity).insert(commitRow(r.repo, first));
      await m.getRepository(HostedRefEntity).insert({ ...key, ref: 'refs/heads/main', commit: first.id });
      return true;
    });
  }

  /** Repos of a type whose id contains `search` (case-insensitive), newest first, at most `limit`. */
  async listRepos(type: RepoRef['type'], search: string | undefined, limit: number): Promise<HostedRepo[]> {
    const q = this.ds
      .getRepository(HostedRepoEntity)
      .createQueryBuilder('r')
      .where('r.repoType = :type', { type })
      .orderBy('r.createdAt', 'DESC')
      .limit(limit);
    if (search)
      q.andWhere('LOWER(r.repoId) LIKE :search', {
        search: `%${search.toLowerCase().replace(/[%_]/g, '')}%`,
      });
    return (await q.getMany()).map((row) => ({
      repo: { type, id: row.repoId },
      private: row.private,
      createdBy: row.createdBy,
      createdAt: row.createdAt,
    }));
  }

  async deleteRepo(repo: RepoRef): Promise<boolean> {
    const key = { repoType: repo.type, repoId: repo.id };
    return this.ds.transaction(async (m) => {
      const res = await m.getRepository(HostedRepoEntity).delete(key);
      await m.getRepository(HostedRefEntity).delete(key);
      await m.getRepository(HostedCommitEntity).delete(key);
      return (res.affected ?? 0) > 0;
    });
  }

  async setPrivate(repo: RepoRef, isPrivate: boolean): Promise<void> {
    await this.ds
      .getRepository(HostedRepoEntity)
      .update({ repoType: repo.type, repoId: repo.id }, { private: isPrivate });
  }

  async getRef(repo: RepoRef, ref: string): Promise<string | undefined> {
    const row = await this.ds
      .getRepository(HostedRefEntity)
      .findOneBy({ repoType: repo.type, repoId: repo.id, ref });
    return row?.commit;
  }

  async listRefs(repo: RepoRef): Promise<HostedRef[]> {
    const rows = await this.ds
      .getRepository(HostedRefEntity)
      .find({ where: { repoType: repo.type, repoId: repo.id }, order: { ref: 'ASC' } });
    return rows.map((r) => ({ ref: r.ref, commit: r.commit }));
  }

  /**
   * Moves `ref` from `expected` (undefined: it must not exist) to `commit`, storing the commit too,
   * atomically; false when the ref is no longer at `expected` (a concurrent push won).
   */
  async advanceRef(
    repo: RepoRef,
    ref: string,
    expected: string | undefined,
    commit: HostedCommit | string,
  ): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const key = { repoType: repo.type, repoId: repo.id, ref };
      const refs = m.getRepository(HostedRefEntity);
      const id = typeof commit === 'string' ? commit : commit.id;
      if (expected === undefined) {
        if (await refs.findOneBy(key)) return false;
        await refs.insert({ ...key, commit: id });
      } else {
        const res = await refs.update({ ...key, commit: expected }, { commit: id });
        if ((res.affected ?? 0) === 0) return false;
      }
      if (typeof commit !== 'string') {
        const commits = m.getRepository(HostedCommitEntity);
        const exists = await commits.findOneBy({ repoType: repo.type, repoId: repo.id, commit: id });
        if (!exists) await commits.insert(commitRow(repo, commit));
      }
      return true;
    });
  }

  async deleteRef(repo: RepoRef, ref: string): Promise<boolean> {
    const res = await this.ds
      .getRepository(HostedRefEntity)
      .delete({ repoType: repo.type, repoId: repo.id, ref });
    return (res.affected ?? 0) > 0;
  }

  /** Every commit of every hosted repo (the blobs they use are never evicted). */
  async allCommits(): Promise<{ repo: RepoRef; commit: string }[]> {
    const rows = await this.ds
      .getRepository(HostedCommitEntity)
      .find({ select: { repoType: true, repoId: true, commit: true } });
    return rows.map((r) => ({
      repo: { type: r.repoType as RepoRef['type'], id: r.repoId },
      commit: r.commit,
    }));
  }

  /** The one commit whose id starts with `prefix` (a short hash), if exactly one does. */
  async commitByPrefix(repo: RepoRef, prefix: string): Promise<string | undefined> {
    const rows = await this.ds
      .getRepository(HostedCommitEntity)
      .createQueryBuilder('c')
      .select('c.commit')
      .where('c.repoType = :type AND c.repoId = :id AND c.commit LIKE :prefix', {
        type: repo.type,
        id: repo.id,
        prefix: `${prefix}%`,
      })
      .limit(2)
      .getMany();
    return rows.length === 1 ? rows[0].commit : undefined;
  }

  async getCommit(repo: RepoRef, id: string): Promise<HostedCommit | undefined> {
    const row = await this.ds
      .getRepository(HostedCommitEntity)
      .findOneBy({ repoType: repo.type, repoId: repo.id, commit: id });
    return row
      ? {
          id: row.commit,
          parents: row.parents ? row.parents.split(',') : [],
          tree: row.tree,
          author: row.author,
          message: row.message,
          createdAt: row.createdAt,
        }
      : undefined;
  }
}

function commitRow(repo: RepoRef, c: HostedCommit): HostedCommitEntity {
  return {
    repoType: repo.type,
    repoId: repo.id,
    commit: c.id,
    parents: c.parents.join(','),
    tree: c.tree,
    author: c.author,
    message: c.message,
    createdAt: c.createdAt,
  };
}
