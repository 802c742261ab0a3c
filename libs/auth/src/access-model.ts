import type { MongoAbility } from '@casl/ability';

/** What a caller may do to a repo: download/API reads, listing, pushing, deleting. */
export const REPO_ACTIONS = ['read', 'list', 'upload', 'delete'] as const;
export type RepoAction = (typeof REPO_ACTIONS)[number];

/** `manage` is CASL's "any action"; on admin resources GET needs `read`, changes need `manage` (revoking `delete`). */
export type AccessAction = RepoAction | 'manage';

/** The resources abilities speak about; `Repo` carries `{type, id}`, admin resources their owners. */
export const ACCESS_SUBJECTS = [
  'Repo',
  'User',
  'Team',
  'Membership',
  'Grant',
  'Token',
  'Role',
  'Policy',
  'AuditEvent',
  /** The cache's storage policy (eviction rounds): admins only. */
  'Storage',
] as const;
export type AccessSubject = (typeof ACCESS_SUBJECTS)[number] | 'all';

export type AppAbility = MongoAbility<[AccessAction, AccessSubject | Record<string, unknown>]>;

export interface RoleDefinition {
  name: string;
  description: string;
  actions: AccessAction[];
  builtin: boolean;
}

/** Each built-in role is the previous one plus more. `admin` on `*` manages everything. */
export const BUILTIN_ROLES: readonly RoleDefinition[] = [
  { name: 'reader', description: 'Download and list repos', actions: ['read', 'list'], builtin: true },
  {
    name: 'uploader',
    description: 'reader + push to the mirror',
    actions: ['read', 'list', 'upload'],
    builtin: true,
  },
  {
    name: 'maintainer',
    description: 'uploader + delete cached or hosted repos, trigger syncs',
    actions: ['read', 'list', 'upload', 'delete'],
    builtin: true,
  },
  {
    name: 'admin',
    description: 'maintainer + manage users, teams, roles, grants, tokens and policies (when granted on `*`)',
    actions: ['read', 'list', 'upload', 'delete', 'manage'],
    builtin: true,
  },
];

export const REPO_TYPES_OR_ANY = ['model', 'dataset', 'space', '*'] as const;
export type RepoTypeOrAny = (typeof REPO_TYPES_OR_ANY)[number];

/** Who is calling. Anonymous callers may still carry their own upstream (HF) token in passthrough mode. */
export type Principal =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      userId: string;
      username: string;
      /** Set when the caller used a personal access token (not an admin session). */
      tokenId?: string;
      teamIds: string[];
      /** Teams where the user is a team admin (manages memberships, sees and revokes members' tokens). */
      adminTeamIds: string[];
    };

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

export const ANONYMOUS: Principal = { kind: 'anonymous' };
