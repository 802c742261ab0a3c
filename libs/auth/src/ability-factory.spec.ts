import { subject } from '@casl/ability';
import { ANONYMOUS, AppAbility, BUILTIN_ROLES, Principal, RoleDefinition } from './access-model';
import { defineAbilityFor, GrantRule } from './ability-factory';

const roles = new Map<string, RoleDefinition>(BUILTIN_ROLES.map((r) => [r.name, r]));
roles.set('pusher', { name: 'pusher', description: '', actions: ['upload'], builtin: false });
const user = (over: Partial<Extract<Principal, { kind: 'user' }>> = {}): Principal => ({
  kind: 'user',
  userId: 'u1',
  username: 'alice',
  teamIds: ['t1'],
  adminTeamIds: [],
  ...over,
});
const repo = (id: string, type = 'model') => subject('Repo', { type, id }) as never;
const can = (a: AppAbility, action: string, what: unknown) => a.can(action as never, what as never);

describe('defineAbilityFor', () => {
  const grants = (role: string, pattern = 'org/*', repoType: GrantRule['repoType'] = '*'): GrantRule[] => [
    { role, pattern, repoType },
  ];

  it.each([
    ['reader', ['read', 'list']],
    ['uploader', ['read', 'list', 'upload']],
    ['maintainer', ['read', 'list', 'upload', 'delete']],
  ])('%s may %j inside its pattern and nothing outside', (role, actions) => {
    const a = defineAbilityFor(user(), grants(role), roles, { anonymousRead: false });
    for (const action of ['read', 'list', 'upload', 'delete']) {
      expect(can(a, action, repo('org/m'))).toBe(actions.includes(action));
      expect(can(a, action, repo('other/m'))).toBe(false);
    }
    expect(can(a, 'manage', 'User')).toBe(false);
  });

  it('admin on * manages everything; admin on a pattern only acts on those repos', () => {
    const root = defineAbilityFor(user(), grants('admin', '*'), roles, { anonymousRead: false });
    expect(can(root, 'manage', 'User')).toBe(true);
    expect(can(root, 'delete', repo('any/thing'))).toBe(true);
    const scoped = defineAbilityFor(user(), grants('admin', 'org/*'), roles, { anonymousRead: false });
    expect(can(scoped, 'delete', repo('org/m'))).toBe(true);
    expect(can(scoped, 'manage', 'User')).toBe(false);
    expect(can(scoped, 'manage', 'Policy')).toBe(false);
  });

  it('respects the repo type of a grant, and custom roles', () => {
    const a = defineAbilityFor(
      user(),
      [...grants('reader', 'org/d', 'dataset'), ...grants('pusher', 'up/*')],
      roles,
      { anonymousRead: false },
    );
    expect(can(a, 'read', repo('org/d', 'dataset'))).toBe(true);
    expect(can(a, 'read', repo('org/d', 'model'))).toBe(false);
    expect(can(a, 'upload', repo('up/x'))).toBe(true);
    expect(can(a, 'read', repo('up/x'))).toBe(false);
  });

  it('gives anonymous callers read and list only when anonymousRead is on', () => {
    const open = defineAbilityFor(ANONYMOUS, [], roles, { anonymousRead: true });
    expect(can(open, 'read', repo('any/m'))).toBe(true);
    expect(can(open, 'upload', repo('any/m'))).toBe(false);
    expect(can(open, 'read', 'Token')).toBe(false);
    const closed = defineAbilityFor(ANONYMOUS, [], roles, { anonymousRead: false });
    expect(can(closed, 'read', repo('any/m'))).toBe(false);
    expect(can(closed, 'list', 'Repo')).toBe(false);
  });

  it('scopes self-service and team admins to their own records', () => {
    const a = defineAbilityFor(user({ teamIds: ['t1', 't2'], adminTeamIds: ['t2'] }), [], roles, {
      anonymousRead: false,
    });
    expect(can(a, 'manage', subject('Token', { userId: 'u1', ownerTeamIds: [] }))).toBe(true);
    expect(can(a, 'manage', subject('Token', { userId: 'u2', ownerTeamIds: ['t2'] }))).toBe(false);
    expect(can(a, 'delete', subject('Token', { userId: 'u2', ownerTeamIds: ['t2'] }))).toBe(true);
    expect(can(a, 'delete', subject('Token', { userId: 'u3', ownerTeamIds: ['t1', 't9'] }))).toBe(false);
    expect(can(a, 'read', subject('Grant', { subjectType: 'team', subjectId: 't1' }))).toBe(true);
    expect(can(a, 'read', subject('Grant', { subjectType: 'team', subjectId: 't9' }))).toBe(false);
    expect(can(a, 'manage', subject('Grant', { subjectType: 'team', subjectId: 't2' }))).toBe(false);
    expect(can(a, 'manage', subject('Membership', { teamId: 't2' }))).toBe(true);
    expect(can(a, 'manage', subject('Membership', { teamId: 't1' }))).toBe(false);
    expect(can(a, 'read', subject('User', { id: 'u1', teamIds: [] }))).toBe(true);
    expect(can(a, 'read', subject('User', { id: 'u5', teamIds: ['t1'] }))).toBe(false);
    expect(can(a, 'read', subject('User', { id: 'u5', teamIds: ['t2'] }))).toBe(true);
  });
});
