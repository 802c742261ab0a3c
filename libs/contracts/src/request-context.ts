import type { Request } from 'express';
import type { ApiRoute, RepoRef, ResolveRoute } from '@dingo/hub-protocol';

/** A Hub-surface request as parsed once from its URL (by the access guard, or by the controller). */
export type ParsedHubRequest =
  { kind: 'resolve'; route: ResolveRoute } | { kind: 'api'; route?: ApiRoute } | { kind: 'other' };

/**
 * What the access layer decided about a request, for the Hub surface to act on. Without an
 * access layer (the edge) there is no context and the client's own Authorization passes through.
 */
export interface DingoRequestContext {
  /** The credentials to present upstream; undefined means none (e.g. the bearer was a mirror token). */
  upstreamAuthorization?: string;
  /** Who is calling (for audit). */
  principal?: { userId?: string; tokenId?: string; name?: string };
  /** The route the guard parsed, so the controller does not parse the URL a second time. */
  parsed?: ParsedHubRequest;
  /** Whether the caller's grants let it read a repo (listings answered by the mirror filter with it). */
  mayRead?: (repo: RepoRef) => boolean;
}

type WithContext = Request & { dingo?: DingoRequestContext };

export function dingoContext(req: Request): DingoRequestContext | undefined {
  return (req as WithContext).dingo;
}

export function setDingoContext(req: Request, context: DingoRequestContext): void {
  (req as WithContext).dingo = context;
}

export function upstreamAuthorizationOf(req: Request): string | undefined {
  const ctx = dingoContext(req);
  return ctx ? ctx.upstreamAuthorization : req.headers.authorization;
}
