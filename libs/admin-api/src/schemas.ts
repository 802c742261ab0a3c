import { z } from 'zod';
import { REPO_PATTERN_HINT, REPO_TYPES_OR_ANY, isRepoPattern } from '@dingo/auth';

const NAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const NAME_HINT =
  'must be 2-64 characters: lowercase letters, digits, ".", "_", "-", starting with a letter or digit';

const name = z.string().max(64, 'must be at most 64 characters').regex(NAME, NAME_HINT);
const uuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a UUID');
const password = z
  .string()
  .min(12, 'must be at least 12 characters')
  .max(256, 'must be at most 256 characters');
const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const repoType = z.enum(REPO_TYPES_OR_ANY);
const pattern = z
  .string()
  .max(200, 'must be at most 200 characters')
  .refine(isRepoPattern, { message: `must be ${REPO_PATTERN_HINT}` });

/** `?limit=` of a paged listing: 1-1000. */
const pageLimit = z
  .string()
  .regex(/^\d{1,4}$/, 'must be 1-1000')
  .transform(Number)
  .pipe(z.number().min(1).max(1000))
  .optional();

export const LoginBody = z
  .object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) })
  .strict();

export const CreateUserBody = z
  .object({
    username: name,
    password: password.optional(),
    displayName: text(200).optional(),
    disabled: z.boolean().optional(),
  })
  .strict();
export const UpdateUserBody = z
  .object({
    password: password.optional(),
    displayName: text(200).nullable().optional(),
    disabled: z.boolean().optional(),
  })
  .strict();
export const ChangePasswordBody = z
  .object({ currentPassword: z.string().min(1).max(256), newPassword: password })
  .strict();

export const CreateTeamBody = z.object({ name, description: text(500).optional() }).strict();
export const UpdateTeamBody = z.object({ description: text(500).nullable().optional() }).strict();
export const PutMemberBody = z.object({ teamAdmin: z.boolean().optional() }).strict();

export const CreateRoleBody = z
  .object({
    name,
    description: text(500).optional(),
    actions: z
      .array(z.enum(['read', 'list', 'upload', 'delete']))
      .min(1, 'must name at least one action')
      .max(4),
  })
  .strict();

export const CreateGrantBody = z
  .object({
    teamId: uuid.optional(),
    userId: uuid.optional(),
    role: name,
    repoType: repoType.default('*'),
    pattern,
  })
  .strict()
  .refine((g) => (g.teamId === undefined) !== (g.userId === undefined), {
    message: 'give exactly one of teamId or userId',
    path: ['teamId'],
  });
export const ListGrantsQuery = z.object({ teamId: uuid.optional(), userId: uuid.optional() }).strict();

export const CreateTokenBody = z
  .object({
    name: text(100).min(1, 'must not be empty'),
    userId: uuid.optional(),
    expiresInDays: z.number().int('must be a whole number of days').min(1).max(3650).optional(),
  })
  .strict();
export const ListTokensQuery = z
  .object({ userId: uuid.optional(), includeRevoked: z.enum(['true', 'false']).optional() })
  .strict();

export const CreatePolicyBody = z
  .object({
    effect: z.enum(['allow', 'deny']),
    repoType: repoType.default('*'),
    pattern,
    reason: text(500).optional(),
  })
  .strict();

export const PolicyCheckQuery = z
  .object({
    type: z.enum(['model', 'dataset', 'space']).default('model'),
    repo: z
      .string()
      .max(200, 'must be at most 200 characters')
      .regex(/^[\w.-]+(\/[\w.-]+)?$/, 'must be a repo id: name or namespace/name'),
  })
  .strict();

const epochOrIso = z.union([
  z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number),
  z.iso.datetime().transform((s) => Date.parse(s)),
]);
export const AuditQuery = z
  .object({
    from: epochOrIso.optional(),
    to: epochOrIso.optional(),
    userId: uuid.optional(),
    repo: text(200).optional(),
    action: z.enum(['download', 'upload', 'delete', 'manage', 'login', 'denied']).optional(),
    limit: pageLimit,
    cursor: z
      .string()
      .regex(/^\d{1,19}$/, 'must be the nextCursor of a previous page')
      .optional(),
  })
  .strict();

export const CacheListQuery = z
  .object({
    type: z.enum(['model', 'dataset', 'space']).optional(),
    search: text(200).optional(),
    limit: pageLimit,
    offset: z
      .string()
      .regex(/^\d{1,9}$/, 'must be a non-negative integer')
      .transform(Number)
      .optional(),
  })
  .strict();

export const SyncBody = z
  .object({
    revision: z
      .string()
      .min(1)
      .max(256, 'must be at most 256 characters')
      .regex(/^[^\s\\~^:?*[\x00-\x1f]+$/, 'must be a branch, tag or commit')
      .default('main'),
    /** One file; without it the whole revision is pulled. */
    path: z.string().min(1).max(1024, 'must be at most 1024 characters').optional(),
  })
  .strict();

export const StorageUsageQuery = z.object({ limit: pageLimit.optional() }).strict();
