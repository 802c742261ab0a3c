import { growingLru } from '@dingo/concurrency';
import { isCommitHash, RepoRef } from '@dingo/hub-protocol';
import { MetadataPort, RevisionRecord } from '@dingo/metadata-store';

/**
 * Which commit a branch or tag names, as last seen upstream: trusted for a TTL, or at any age while
 * offline. Records are also kept in memory, so a warm request costs no database round trip; a
 * stale one is read again from the store first (another node may have refreshed it).
 */
export class RevisionCache {
  private readonly recent = growingLru<string, RevisionRecord>(10_000);

  constructor(
    private readonly meta: MetadataPort,
    private readonly ttlMs: number,
  ) {}

  async commitOf(repo: RepoRef, revision: string, allowStale: boolean): Promise<string | undefined> {
    if (isCommitHash(revision)) return revision;
    const key = keyOf(repo, revision);
    let rec = this.recent.get(key);
    if (!rec || (!allowStale && !this.fresh(rec))) {
      rec = await this.meta.getRevision(repo.type, repo.id, revision);
      if (!rec) return undefined;
      this.recent.set(key, rec);
    }
    return allowStale || this.fresh(rec) ? rec.commit : undefined;
  }

  /** Forgets the repo's records kept in memory (an admin removed them from the store). */
  forgetRepo(repo: RepoRef): void {
    const prefix = `${repo.type}/${repo.id}@`;
    for (const key of [...this.recent.keys()]) if (key.startsWith(prefix)) this.recent.delete(key);
  }

  async remember(repo: RepoRef, revision: string, commit: string): Promise<void> {
    if (isCommitHash(revision)) return;
    const rec = { repoType: repo.type, repoId: repo.id, revision, commit, fetchedAt: Date.now() };
    await this.meta.putRevision(rec);
    this.recent.set(keyOf(repo, revision), rec);
  }

  private fresh(rec: RevisionRecord): boolean {
    return Date.now() - rec.fetchedAt < this.ttlMs;
  }
}

function keyOf(repo: RepoRef, revision: string): string {
  return `${repo.type}/${repo.id}@${revision}`;
}
