import type { Request } from 'express';
import { optionalRequestAccess } from '@dingo/auth';
import { HubError, RepoRef, repoTypeFromPlural } from '@dingo/hub-protocol';

// What the hosted controllers read from a request: the repo in the path or body, the caller.

export interface RepoParams {
  types: string;
  ns: string;
  name: string;
}

export function repoOf(p: RepoParams): RepoRef {
  const type = repoTypeFromPlural(p.types);
  if (!type) throw HubError.notFound();
  return { type, id: `${p.ns}/${p.name}` };
}

export function callerName(req: Request): string | undefined {
  const principal = optionalRequestAccess(req)?.principal;
  return principal?.kind === 'user' ? principal.username : undefined;
}

export function isPrivate(body: Record<string, unknown>): boolean | undefined {
  if (typeof body.private === 'boolean') return body.private;
  if (body.visibility === 'private') return true;
  if (body.visibility === 'public') return false;
  return undefined;
}

/** `{name, organization?, type?}` (the guard has already validated it). */
export function repoFromBody(body: Record<string, unknown>, caller: string | undefined): RepoRef {
  const type = body.type === 'dataset' || body.type === 'space' ? body.type : 'model';
  const name = typeof body.name === 'string' ? body.name : '';
  const org = typeof body.organization === 'string' && body.organization ? body.organization : caller;
  const id = name.includes('/') || !org ? name : `${org}/${name}`;
  if (!id.includes('/')) throw HubError.badRequest('Invalid body: the repo needs a namespace');
  return { type, id };
}
