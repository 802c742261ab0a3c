import type { Request } from 'express';

/**
 * The credentials the mirror presents upstream for this request. An access layer (the auth lib's
 * guard) may set `req.dingo.upstreamAuthorization` — e.g. to a service token, or to nothing when
 * the client's bearer is a mirror token; otherwise the client's own Authorization passes through.
 */
export interface DingoRequestContext {
  upstreamAuthorization?: string;
  /** Set by the access layer: who is calling (for audit). */
  principal?: { userId?: string; tokenId?: string; name?: string };
}

export function dingoContext(req: Request): DingoRequestContext | undefined {
  return (req as Request & { dingo?: DingoRequestContext }).dingo;
}

export function upstreamAuthorizationOf(req: Request): string | undefined {
  const ctx = dingoContext(req);
  return ctx ? ctx.upstreamAuthorization : req.headers.authorization;
}
