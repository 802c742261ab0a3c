import { AbilityBuilder, createMongoAbility } from '@casl/ability';
import {
  AccessAction,
  AppAbility,
  Principal,
  REPO_ACTIONS,
  RepoAction,
  RepoTypeOrAny,
  RoleDefinition,
} from './access-model';
import { repoConditions } from './repo-pattern';

export interface GrantRule {
  role: string;
  repoType: RepoTypeOrAny;
  pattern: string;
}

/**
 * The one place permissions are defined. Repo rights come from grants (role x repo pattern);
 * everyone signed in may see themselves, their teams and those teams' grants, and manage their own
 * tokens; team admins manage their team's memberships and see and revoke their members' tokens.
 */
export function defineAbilityFor(
  principal: Principal,
  grants: readonly GrantRule[],
  roles: ReadonlyMap<string, RoleDefinition>,
  opts: { anonymousRead: boolean },
): AppAbility {
  const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
  if (opts.anonymousRead) can(['read', 'list'], 'Repo');
  if (principal.kind === 'anonymous') return build();

  for (const grant of grants) {
    const role = roles.get(grant.role);
    if (!role) continue;
    if (role.actions.includes('manage') && grant.pattern === '*' && grant.repoType === '*') {
      can('manage', 'all');
      continue;
    }
    const repoActions = role.actions.filter((a): a is RepoAction =>
      (REPO_ACTIONS as readonly string[]).includes(a),
    );
    if (repoActions.length) can(repoActions, 'Repo', repoConditions(grant.repoType, grant.pattern));
  }

  const { userId, teamIds, adminTeamIds } = principal;
  can('read', 'User', { id: userId });
  can(['read', 'manage', 'delete'] as AccessAction[], 'Token', { userId });
  can('read', 'Role');
  can('read', 'Grant', { subjectType: 'user', subjectId: userId });
  if (teamIds.length) {
    can('read', 'Team', { id: { $in: teamIds } });
    can('read', 'Membership', { teamId: { $in: teamIds } });
    can('read', 'Grant', { subjectType: 'team', subjectId: { $in: teamIds } });
  }
  if (adminTeamIds.length) {
    can(['read', 'manage', 'delete'] as AccessAction[], 'Membership', { teamId: { $in: adminTeamIds } });
    can('read', 'User', { teamIds: { $in: adminTeamIds } });
    can(['read', 'delete'] as AccessAction[], 'Token', { ownerTeamIds: { $in: adminTeamIds } });
  }
  return build();
}
