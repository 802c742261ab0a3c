import { DataSource, Repository } from 'typeorm';
import { HubError, RepoRef, repoKey } from '@dingo/hub-protocol';
import { RepoTypeOrAny } from './access-model';
import { RepoPolicyEntity } from './entities';
import { repoPatternRegex } from './repo-pattern';

export interface PolicyRule {
  id: string;
  effect: 'allow' | 'deny';
  repoType: RepoTypeOrAny;
  pattern: string;
  reason: string | null;
  regex: RegExp;
}

/**
 * Which upstream repos may enter the mirror at all (compliance), whoever asks: a matching `deny`
 * rule wins, then a matching `allow` rule, then `auth.policyDefault`. Checked by the guard before
 * the Hub surface fetches anything, so cached copies of a newly denied repo stop being served too.
 */
export class RepoPolicyBook {
  private readonly rows: Repository<RepoPolicyEntity>;
  private cache?: { at: number; rules: PolicyRule[] };

  constructor(
    ds: DataSource,
    private readonly defaultEffect: 'allow' | 'deny',
    private readonly ttlMs = 5000,
  ) {
    this.rows = ds.getRepository(RepoPolicyEntity);
  }

  invalidate(): void {
    this.cache = undefined;
  }

  async rules(): Promise<PolicyRule[]> {
    if (this.cache && Date.now() - this.cache.at < this.ttlMs) return this.cache.rules;
    const rules = (await this.rows.find({ order: { createdAt: 'ASC' } })).map((r) => ({
      id: r.id,
      effect: r.effect as PolicyRule['effect'],
      repoType: r.repoType as RepoTypeOrAny,
      pattern: r.pattern,
      reason: r.reason,
      regex: repoPatternRegex(r.pattern),
    }));
    this.cache = { at: Date.now(), rules };
    return rules;
  }

  /** Throws the Hub-style 403 when policy keeps this repo out. */
  async assertAllowed(repo: RepoRef): Promise<void> {
    const rules = (await this.rules()).filter(
      (r) => (r.repoType === '*' || r.repoType === repo.type) && r.regex.test(repo.id),
    );
    const deny = rules.find((r) => r.effect === 'deny');
    if (deny) {
      throw HubError.forbidden(
        `Blocked by mirror policy: ${repoKey(repo)} is denied${deny.reason ? ` (${deny.reason})` : ''}`,
      );
    }
    if (rules.some((r) => r.effect === 'allow') || this.defaultEffect === 'allow') return;
    throw HubError.forbidden(
      `Blocked by mirror policy: ${repoKey(repo)} is not on this mirror's list of approved repos`,
    );
  }
}
