import { createHash } from 'node:crypto';
import { growingLru } from '@dingo/concurrency';
import { HubError, RepoRef, repoKey } from '@dingo/hub-protocol';
import { MetadataPort, RepoVisibility } from '@dingo/metadata-store';

/**
 * What a verdict is about. A gated repo's info and file list are public while its files are not:
 * a GatedRepo refusal of a file says nothing about the metadata. Reading files implies reading the
 * metadata, and RepoNotFound (private, or no such repo) refuses both.
 */
export type AccessScope = 'files' | 'metadata';

interface Verdict {
  allowed: boolean;
  error?: HubError;
  at: number;
}

/**
 * Decides whether cached content of a repo may be served without asking upstream. Public repos:
 * always. Gated and private repos: only to a caller whose credentials upstream accepted
 * recently (the verdict is cached briefly, and longer while upstream is unreachable). This is the
 * one place that decision is made: the file path, the API cache and the admin listings ask here.
 */
export class CachedRepoAccess {
  private readonly verdicts = growingLru<string, Verdict>(100_000);
  private readonly visibilities = growingLru<string, RepoVisibility>(100_000);

  constructor(
    private readonly meta: MetadataPort,
    private readonly ttlMs: number,
    private readonly offlineGraceMs: number,
  ) {}

  /**
   * Online: true = serve from cache, false = ask upstream (no verdict, or too old); throws the
   * upstream's refusal when it said no. Offline: the same with the grace window, and when no
   * verdict applies the caller gets 503 (nobody can check its right to the repo now).
   */
  async admits(
    repo: RepoRef,
    authorization: string | undefined,
    offline: { why: string } | false,
    scope: AccessScope = 'files',
  ): Promise<boolean> {
    if ((await this.visibility(repo)) === 'public') return true;
    const verdict = this.verdicts.get(this.key(repo, authorization, scope));
    const window = offline ? this.offlineGraceMs : this.ttlMs;
    if (verdict && Date.now() - verdict.at <= window) {
      if (verdict.allowed) return true;
      throw verdict.error!;
    }
    if (offline) throw HubError.accessUncheckable(repo.id, offline.why);
    return false;
  }

  async visibility(repo: RepoRef): Promise<RepoVisibility> {
    const k = repoKey(repo);
    const known = this.visibilities.get(k);
    if (known) return known;
    const record = await this.meta.getRepo(k);
    const v = record?.visibility ?? 'unknown';
    this.visibilities.set(k, v);
    return v;
  }

  async learnVisibility(repo: RepoRef, visibility: RepoVisibility): Promise<void> {
    const k = repoKey(repo);
    if (this.visibilities.get(k) === visibility) return;
    this.visibilities.set(k, visibility);
    await this.meta.putRepo({ key: k, visibility, checkedAt: Date.now() });
  }

  /** Visibility from a Hub info JSON (`private`, `gated`). */
  async learnFromInfo(repo: RepoRef, info: { private?: unknown; gated?: unknown }): Promise<void> {
    const visibility: RepoVisibility = info.private ? 'private' : info.gated ? 'gated' : 'public';
    await this.learnVisibility(repo, visibility);
  }

  /** What upstream answered this caller about `scope` of the repo (and what that implies for the other scope). */
  remember(
    repo: RepoRef,
    authorization: string | undefined,
    outcome: true | HubError,
    scope: AccessScope,
  ): void {
    const verdict: Verdict = {
      allowed: outcome === true,
      error: outcome === true ? undefined : outcome,
      at: Date.now(),
    };
    const both =
      (outcome === true && scope === 'files') || (outcome !== true && outcome.code === 'RepoNotFound');
    for (const s of both ? (['files', 'metadata'] as const) : [scope])
      this.verdicts.set(this.key(repo, authorization, s), verdict);
  }

  private key(repo: RepoRef, authorization: string | undefined, scope: AccessScope): string {
    const who = authorization ? createHash('sha256').update(authorization).digest('hex') : 'anonymous';
    return `${repoKey(repo)}|${who}|${scope}`;
  }
}
