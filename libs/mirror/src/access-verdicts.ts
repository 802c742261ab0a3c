import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { HubError, RepoRef, repoKey } from '@dingo/hub-protocol';
import { MetadataPort, RepoVisibility } from '@dingo/metadata-store';

interface Verdict {
  allowed: boolean;
  error?: HubError;
  at: number;
}

export type CachedAccess = { kind: 'allow' } | { kind: 'deny'; error: HubError } | { kind: 'ask-upstream' };

/**
 * Decides whether cached content of a repo may be served without asking upstream. Public repos:
 * always. Gated and private repos: only to a caller whose credentials upstream accepted
 * recently (the verdict is cached briefly, and longer while upstream is unreachable).
 */
export class AccessVerdicts {
  private readonly verdicts = new LRUCache<string, Verdict>({ max: 100_000 });
  private readonly visibilities = new LRUCache<string, RepoVisibility>({ max: 100_000 });

  constructor(
    private readonly meta: MetadataPort,
    private readonly ttlMs: number,
    private readonly offlineGraceMs: number,
  ) {}

  private key(repo: RepoRef, authorization: string | undefined): string {
    const who = authorization ? createHash('sha256').update(authorization).digest('hex') : 'anonymous';
    return `${repoKey(repo)}|${who}`;
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

  remember(repo: RepoRef, authorization: string | undefined, outcome: true | HubError): void {
    this.verdicts.set(this.key(repo, authorization), {
      allowed: outcome === true,
      error: outcome === true ? undefined : outcome,
      at: Date.now(),
    });
  }

  /** What to do with a request for cached content; `offline` widens the trust window. */
  async forCached(repo: RepoRef, authorization: string | undefined, offline: boolean): Promise<CachedAccess> {
    if ((await this.visibility(repo)) === 'public') return { kind: 'allow' };
    const verdict = this.verdicts.get(this.key(repo, authorization));
    if (!verdict) return { kind: 'ask-upstream' };
    const age = Date.now() - verdict.at;
    if (age > (offline ? this.offlineGraceMs : this.ttlMs)) return { kind: 'ask-upstream' };
    return verdict.allowed ? { kind: 'allow' } : { kind: 'deny', error: verdict.error! };
  }
}
