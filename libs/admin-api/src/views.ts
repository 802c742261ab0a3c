import type { AccessTokenEntity, GrantEntity, RepoPolicyEntity, TeamEntity, UserEntity } from '@dingo/auth';

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/** What the admin API shows of each record: never a password hash or a token hash. */
export const userView = (u: UserEntity, teams?: { id: string; name: string; teamAdmin: boolean }[]) => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  disabled: u.disabled,
  hasPassword: u.passwordHash !== null,
  createdAt: iso(u.createdAt),
  updatedAt: iso(u.updatedAt),
  ...(teams ? { teams } : {}),
});

export const teamView = (t: TeamEntity) => ({
  id: t.id,
  name: t.name,
  description: t.description,
  createdAt: iso(t.createdAt),
});

export const grantView = (g: GrantEntity) => ({
  id: g.id,
  teamId: g.subjectType === 'team' ? g.subjectId : null,
  userId: g.subjectType === 'user' ? g.subjectId : null,
  role: g.role,
  repoType: g.repoType,
  pattern: g.pattern,
  createdAt: iso(g.createdAt),
  createdBy: g.createdBy,
});

export function tokenView(t: AccessTokenEntity, now = Date.now()) {
  const status =
    t.revokedAt !== null ? 'revoked' : t.expiresAt !== null && t.expiresAt <= now ? 'expired' : 'active';
  return {
    id: t.id,
    name: t.name,
    userId: t.userId,
    prefix: t.displayPrefix,
    status,
    createdAt: iso(t.createdAt),
    expiresAt: iso(t.expiresAt),
    revokedAt: iso(t.revokedAt),
    lastUsedAt: iso(t.lastUsedAt),
  };
}

export const policyView = (p: RepoPolicyEntity) => ({
  id: p.id,
  effect: p.effect,
  repoType: p.repoType,
  pattern: p.pattern,
  reason: p.reason,
  createdAt: iso(p.createdAt),
  createdBy: p.createdBy,
});

export { iso };

/** A literal for SQL LIKE with `ESCAPE '!'` (a backslash would need escaping differently on MySQL and SQLite). */
export const likeEscaped = (value: string) => value.replace(/[!%_]/g, '!$&');
