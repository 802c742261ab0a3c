import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { assertUuid, Principal, RequestAccess, requestAccess, SubjectLoad } from '@dingo/auth';
import { assertRepoSegment, HubError, RepoRef, repoTypeFromPlural } from '@dingo/hub-protocol';

/** The caller's principal and ability, as the AccessGuard decided them. */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestAccess =>
  requestAccess(ctx.switchToHttp().getRequest<Request>()),
);

export const actorId = (caller: RequestAccess) =>
  caller.principal.kind === 'user' ? caller.principal.userId : undefined;

const param = (req: Request, name: string) => req.params[name];
const query = (req: Request) => (req.query ?? {}) as Record<string, unknown>;
const body = (req: Request) =>
  (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
const userId = (p: Principal) => (p.kind === 'user' ? p.userId : undefined);

/** How each admin route finds the resource it targets (for the guard's instance checks). */
export const Load = {
  self: (async (_req, _s, p) => (userId(p) ? { id: userId(p) } : null)) satisfies SubjectLoad,
  user: (async (req, s) => s.user(param(req, 'id'))) satisfies SubjectLoad,
  team: (async (req, s) => s.team(param(req, 'id'))) satisfies SubjectLoad,
  membership: (async (req, s) => {
    assertUuid(param(req, 'userId') ?? param(req, 'id'), 'userId');
    return s.membership(param(req, 'id'), 'id');
  }) satisfies SubjectLoad,
  teamMembers: (async (req, s) => s.membership(param(req, 'id'), 'id')) satisfies SubjectLoad,
  grant: (async (req, s) => s.grant(param(req, 'id'))) satisfies SubjectLoad,
  grantsFilter: (async (req) => {
    const q = query(req);
    if (q.teamId !== undefined) return { subjectType: 'team', subjectId: assertUuid(q.teamId, 'teamId') };
    if (q.userId !== undefined) return { subjectType: 'user', subjectId: assertUuid(q.userId, 'userId') };
    return undefined;
  }) satisfies SubjectLoad,
  token: (async (req, s) => s.token(param(req, 'id'))) satisfies SubjectLoad,
  tokensFilter: (async (req, s) => {
    const owner = query(req).userId;
    return owner === undefined ? undefined : s.tokenOwnedBy(assertUuid(owner, 'userId'));
  }) satisfies SubjectLoad,
  /** A new token belongs to `body.userId`, or to the caller. */
  newTokenOwner: (async (req, s, p) => {
    const owner = body(req).userId;
    if (owner !== undefined) return s.tokenOwnedBy(assertUuid(owner, 'userId'));
    return userId(p) ? s.tokenOwnedBy(userId(p)!) : null;
  }) satisfies SubjectLoad,
  cachedRepo: (async (req) => ({ ...cachedRepoOf(req) })) satisfies SubjectLoad,
};

/** `/cache/repos/{models|datasets|spaces}/{namespace}/{name}` (or `/{name}`) -> the repo. */
export function cachedRepoOf(req: Request): RepoRef {
  const type = repoTypeFromPlural(String(param(req, 'type')));
  if (!type) throw HubError.badRequest('type: must be models, datasets or spaces');
  const parts = [param(req, 'namespace'), param(req, 'name')].filter(
    (p): p is string => typeof p === 'string',
  );
  parts.forEach(assertRepoSegment);
  return { type, id: parts.join('/') };
}
