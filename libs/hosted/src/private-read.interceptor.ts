import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { subject } from '@casl/ability';
import type { Request } from 'express';
import { Observable } from 'rxjs';
import { optionalRequestAccess } from '@dingo/auth';
import { dingoContext } from '@dingo/contracts';
import { HubError, RepoRef } from '@dingo/hub-protocol';
import { HostedRepos } from './hosted-repos';

export const ANONYMOUS_READ = Symbol('ANONYMOUS_READ');

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
    const user = access?.principal.kind === 'user';
    const rule = access?.ability.relevantRuleFor(
      'read',
      subject('Repo', { type: repo.type, id: repo.id } as Record<string, unknown>),
    );
    const blanket = this.anonymousRead && rule?.origin === access?.ability.rules[0];
    if (!user || !rule || rule.inverted || blanket) throw HubError.repoNotFound(user);
  }
}
