import { SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import { AccessAction, AccessSubject, Principal } from './access-model';
import type { SubjectLoader } from './subject-loader';

export const ACCESS_RULE = 'dingo:access-rule';

/**
 * Loads the attributes of the resource a request targets (its owner, team, repo) so the guard can
 * check the instance, not only the type. `null` means the resource does not exist (404);
 * `undefined` means the request names no instance (an unfiltered list: the handler filters rows).
 */
export type SubjectLoad = (
  req: Request,
  subjects: SubjectLoader,
  principal: Principal,
) => Promise<Record<string, unknown> | null | undefined>;

export interface AccessRule {
  action: AccessAction;
  subject: Exclude<AccessSubject, 'all'>;
  load?: SubjectLoad;
}

/** Declares what an admin route needs; the global AccessGuard enforces it (routes without a rule under /admin are refused). */
export const Requires = (action: AccessAction, subject: AccessRule['subject'], load?: SubjectLoad) =>
  SetMetadata(ACCESS_RULE, { action, subject, load } satisfies AccessRule);
