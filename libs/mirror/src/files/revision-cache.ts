import { isCommitHash, RepoRef } from '@dingo/hub-protocol';
import { MetadataPort } from '@dingo/metadata-store';

/** Which commit a branch or tag names, as last seen upstream: trusted for a TTL, or at any age while offline. */
export class RevisionCache {
  constructor(
    private readonly meta: MetadataPort,
    private readonly ttlMs: number,
  ) {}

  async commitOf(repo: RepoRef, revision: string, allowStale: boolean): Promise<string | undefined> {
    if (isCommitHash(revision)) return revision;
    const rec = await this.meta.getRevision(repo.type, repo.id, revision);
    if (!rec) return undefined;
    return allowStale || Date.now() - rec.fetchedAt < this.ttlMs ? rec.commit : undefined;
  }

  async remember(repo: RepoRef, revision: string, commit: string): Promise<void> {
    if (isCommitHash(revision)) return;
    await this.meta.putRevision({
      repoType: repo.type,
      repoId: repo.id,
      revision,
      commit,
      fetchedAt: Date.now(),
    });
  }
}
