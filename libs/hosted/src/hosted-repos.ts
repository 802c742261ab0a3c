import { LocalNamespaces } from '@dingo/contracts';
import { HubError, isCommitHash, RepoRef, repoKey } from '@dingo/hub-protocol';
import { ManifestEntry, MetadataPort } from '@dingo/metadata-store';
import { HostedCommit, HostedRepo, HostedStore } from './hosted-store';

/** A revision of a hosted repo, resolved: its commit and that commit's files. */
export interface HostedRevision {
  repo: HostedRepo;
  commit: HostedCommit;
  files: Map<string, ManifestEntry>;
}

/**
 * What hosted repos are and hold: which repos are local, their revisions (branch, tag or commit)
 * and each commit's file list (kept as the commit manifest in the metadata store, like cached
 * repos' lists).
 */
export class HostedRepos {
  constructor(
    readonly namespaces: LocalNamespaces,
    readonly store: HostedStore,
    private readonly meta: MetadataPort,
  ) {}

  owns(repo: RepoRef): boolean {
    return this.namespaces.includes(repo);
  }

  /** The repo, or the Hub's "not found" (401 to anonymous callers, as the Hub does). */
  async get(repo: RepoRef, authenticated = true): Promise<HostedRepo> {
    const found = await this.store.getRepo(repo);
    if (!found) throw HubError.repoNotFound(authenticated);
    return found;
  }

  async revision(repo: RepoRef, revision: string): Promise<HostedRevision> {
    const hosted = await this.get(repo);
    const id = await this.commitOf(repo, revision);
    const commit = id && (await this.store.getCommit(repo, id));
    if (!commit) throw HubError.revisionNotFound(revision);
    return { repo: hosted, commit, files: await this.files(repo, commit.id) };
  }

  async commitOf(repo: RepoRef, revision: string): Promise<string | undefined> {
    if (isCommitHash(revision)) return revision.toLowerCase();
    const refs = revision.startsWith('refs/')
      ? [revision]
      : [`refs/heads/${revision}`, `refs/tags/${revision}`];
    for (const ref of refs) {
      const commit = await this.store.getRef(repo, ref);
      if (commit) return commit;
    }
    // A short commit hash, as the Hub accepts them.
    return /^[0-9a-f]{7,39}$/i.test(revision)
      ? this.store.commitByPrefix(repo, revision.toLowerCase())
      : undefined;
  }

  async files(repo: RepoRef, commit: string): Promise<Map<string, ManifestEntry>> {
    const manifest = await this.meta.getManifest(repo.type, repo.id, commit);
    if (!manifest) throw HubError.internal();
    return new Map(manifest.entries.map((e) => [e.path, e]));
  }

  async keepFiles(repo: RepoRef, commit: string, entries: ManifestEntry[]): Promise<void> {
    await this.meta.putManifest({
      repoType: repo.type,
      repoId: repo.id,
      commit,
      entries,
      fetchedAt: Date.now(),
    });
  }

  /** Blob keys of every file of every hosted commit: the storage policy never evicts them. */
  async blobKeys(): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const { repo, commit } of await this.store.allCommits()) {
      const manifest = await this.meta.getManifest(repo.type, repo.id, commit);
      for (const e of manifest?.entries ?? [])
        keys.add(e.lfs ? `sha256-${e.lfs.sha256}` : `gitsha1-${e.blobId}`);
    }
    return keys;
  }

  /** A local-namespace check for writes that would create a hosted repo. */
  assertLocal(repo: RepoRef): void {
    if (!this.owns(repo))
      throw HubError.forbidden(
        `${repoKey(repo)} is not in a local namespace of this mirror: repos can be created and pushed only in its local namespaces`,
      );
  }
}
