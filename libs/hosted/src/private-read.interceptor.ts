import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { subject } from '@casl/ability';
import type { Request } from 'express';
import { Observable } from 'rxjs';
import { optionalRequestAccess, RequestAccess } from '@dingo/auth';
import { dingoContext } from '@dingo/contracts';
import { HubError, RepoRef } from '@dingo/hub-protocol';
import { HostedRepos } from './hosted-repos';
import { ANONYMOUS_READ } from './hosted-tokens';

/**
 * Reads of a private hosted repo need a read grant of the caller's own: the blanket read every
 * caller gets when anonymous reads are on does not reach private repos. Runs after the access
 * guard (interceptors follow guards), on the route the guard parsed.
 */
@Injectable()
export class PrivateReadInterceptor implements NestInterceptor {
  constructor(
    @Inject(HostedRepos) private readonly repos: HostedRepos,
    @Inject(ANONYMOUS_READ) private readonly anonymousRead: boolean,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    const parsed = dingoContext(req)?.parsed;
    const repo =
      parsed?.kind === 'resolve'
        ? parsed.route.repo
        : parsed?.kind === 'api'
          ? parsed.route?.repo
          : undefined;
    if (repo && this.repos.owns(repo)) await this.assertMayRead(req, repo);
    return next.handle();
  }

  private async assertMayRead(req: Request, repo: RepoRef): Promise<void> {
    const hosted = await this.repos.store.getRepo(repo);
    if (!hosted?.private) return;
    const access = optionalRequestAccess(req);
    if (!mayReadPrivate(access, repo, this.anonymousRead))
      throw HubError.repoNotFound(access?.principal.kind === 'user');
  }
}

/** A signed-in caller whose own grants allow reading `repo` (not the blanket read of anonymous access). */
export function mayReadPrivate(
  access: RequestAccess | undefined,
  repo: RepoRef,
  anonymousRead: boolean,
): boolean {
  if (access?.principal.kind !== 'user') return false;
  const rule = access.ability.relevantRuleFor(
    'read',
    subject('Repo', { type: repo.type, id: repo.id } as Record<string, unknown>),
  );
  const blanket = anonymousRead && rule?.origin === access.ability.rules[0];
  return Boolean(rule && !rule.inverted && !blanket);
}
