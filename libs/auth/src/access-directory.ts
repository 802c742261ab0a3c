import { LRUCache } from 'lru-cache';
import { growingLru } from '@dingo/concurrency';
import { DataSource, In, Repository } from 'typeorm';
import { BUILTIN_ROLES, RepoTypeOrAny, RoleDefinition, UserPrincipal } from './access-model';
import type { GrantRule } from './ability-factory';
import { AccessTokenEntity, GrantEntity, RoleEntity, TeamMemberEntity, UserEntity } from './entities';

export interface UserAccess {
  principal: UserPrincipal;
  grants: GrantRule[];
}

/** What a cached entry remembers about a token; expiry and revocation are checked on every use. */
export type TokenRecord = Pick<AccessTokenEntity, 'id' | 'userId' | 'expiresAt' | 'revokedAt' | 'lastUsedAt'>;

/**
 * Reads who someone is and what they were granted, with a short cache so the download path does
 * not query the database on every request. Any change made through this gateway clears it at once;
 * other gateways see a change within `ttlMs`.
 */
export class AccessDirectory {
  private readonly users: Repository<UserEntity>;
  private readonly members: Repository<TeamMemberEntity>;
  private readonly grants: Repository<GrantEntity>;
  private readonly customRoles: Repository<RoleEntity>;
  private readonly tokens: Repository<AccessTokenEntity>;
  private readonly accessCache: LRUCache<string, UserAccess | 'none'>;
  private readonly tokenCache: LRUCache<string, TokenRecord | 'none'>;
  private rolesCache?: { at: number; roles: Map<string, RoleDefinition> };

  constructor(
    ds: DataSource,
    private readonly ttlMs = 5000,
  ) {
    this.users = ds.getRepository(UserEntity);
    this.members = ds.getRepository(TeamMemberEntity);
    this.grants = ds.getRepository(GrantEntity);
    this.customRoles = ds.getRepository(RoleEntity);
    this.tokens = ds.getRepository(AccessTokenEntity);
    this.accessCache = growingLru(10_000, { ttl: ttlMs });
    this.tokenCache = growingLru(50_000, { ttl: ttlMs });
  }

  /** Forget everything cached: called after every change to users, teams, grants, roles or tokens. */
  invalidate(): void {
    this.accessCache.clear();
    this.tokenCache.clear();
    this.rolesCache = undefined;
  }

  async tokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const cached = this.tokenCache.get(hash);
    if (cached) return cached === 'none' ? undefined : cached;
    const row = await this.tokens.findOne({
      where: { tokenHash: hash },
      select: { id: true, userId: true, expiresAt: true, revokedAt: true, lastUsedAt: true },
    });
    this.tokenCache.set(hash, row ?? 'none');
    return row ?? undefined;
  }

  async markTokenUsed(token: TokenRecord, now: number): Promise<void> {
    token.lastUsedAt = now;
    await this.tokens.update({ id: token.id }, { lastUsedAt: now });
  }

  /** The enabled user's principal and grants (direct and through teams); undefined if unknown or disabled. */
  async accessOf(userId: string): Promise<UserAccess | undefined> {
    const cached = this.accessCache.get(userId);
    if (cached) return cached === 'none' ? undefined : cached;
    const user = await this.users.findOneBy({ id: userId });
    if (!user || user.disabled) {
      this.accessCache.set(userId, 'none');
      return undefined;
    }
    const memberships = await this.members.findBy({ userId });
    const teamIds = memberships.map((m) => m.teamId);
    const rows = await this.grants.find({
      where: [
        { subjectType: 'user', subjectId: userId },
        ...(teamIds.length ? [{ subjectType: 'team', subjectId: In(teamIds) }] : []),
      ],
    });
    const access: UserAccess = {
      principal: {
        kind: 'user',
        userId,
        username: user.username,
        teamIds,
        adminTeamIds: memberships.filter((m) => m.teamAdmin).map((m) => m.teamId),
      },
      grants: rows.map((g) => ({ role: g.role, repoType: g.repoType as RepoTypeOrAny, pattern: g.pattern })),
    };
    this.accessCache.set(userId, access);
    return access;
  }

  /** Built-in roles plus the custom ones stored in the database. */
  async roles(): Promise<Map<string, RoleDefinition>> {
    if (this.rolesCache && Date.now() - this.rolesCache.at < this.ttlMs) return this.rolesCache.roles;
    const roles = new Map(BUILTIN_ROLES.map((r) => [r.name, r]));
    for (const row of await this.customRoles.find()) {
      roles.set(row.name, {
        name: row.name,
        description: row.description ?? '',
        actions: row.actions.split(',').filter(Boolean) as RoleDefinition['actions'],
        builtin: false,
      });
    }
    this.rolesCache = { at: Date.now(), roles };
    return roles;
  }
}
