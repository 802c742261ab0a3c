import type { Request } from 'express';
import type { RepoRef } from '@dingo/hub-protocol';
import type { DingoRequestContext } from '@dingo/contracts';
import { AppAbility, Principal } from './access-model';

/** What the guard leaves on the request for the handlers (list filtering) and the audit interceptor. */
export interface RequestAccess {
  principal: Principal;
  ability: AppAbility;
  /** Set for actions the audit log records when the handler finishes (uploads, deletes, admin changes). */
  audit?: {
    action: 'upload' | 'delete' | 'manage';
    repo?: RepoRef;
    target?: Record<string, unknown>;
    /** What the handler adds to the entry's detail (a commit: its id, files and bytes). */
    detail?: Record<string, unknown>;
  };
}

type AccessRequest = Request & { access?: RequestAccess; dingo?: DingoRequestContext };

export function setRequestAccess(req: Request, access: RequestAccess, dingo: DingoRequestContext): void {
  (req as AccessRequest).access = access;
  (req as AccessRequest).dingo = dingo;
}

/** The caller's access as decided by the guard; throws if a route was reached without it (a wiring bug). */
export function requestAccess(req: Request): RequestAccess {
  const access = (req as AccessRequest).access;
  if (!access) throw new Error('No access decision on this request: is the AccessGuard installed?');
  return access;
}

export function optionalRequestAccess(req: Request): RequestAccess | undefined {
  return (req as AccessRequest).access;
}

export function setDingoContext(req: Request, dingo: DingoRequestContext): void {
  (req as AccessRequest).dingo = dingo;
}
