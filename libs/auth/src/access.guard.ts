import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { subject as caslSubject } from '@casl/ability';
import type { Request, Response } from 'express';
import { HubError, ParsedHubRequest, RepoRef, repoKey } from '@dingo/hub-protocol';
import { type DingoRequestContext, PUBLIC_ROUTE } from '@dingo/contracts';
import { ANONYMOUS, AppAbility, Principal } from './access-model';
import { ACCESS_RULE, AccessRule } from './access-metadata';
import { setDingoContext, setRequestAccess, RequestAccess } from './access-context';
import { AbilityCache } from './ability-cache';
import { AuditLog } from './audit-log';
import { Credential, CredentialVerifier } from './credential-verifier';
import { RepoPolicyBook } from './repo-policy';
import { classifyHubRequest, isOpenPath, RepoCheck } from './request-classifier';
import { SubjectLoader } from './subject-loader';
import { AccessSettings, upstreamAuthorizationFor } from './upstream-credentials';

/** A check that failed, as the refusal and its audit entry describe it. */
interface Refused {
  action: string;
  what: string;
  repo?: RepoRef;
}

interface Decision {
  /** The Hub route, parsed once here and handed on to the controller. */
  parsed?: ParsedHubRequest;
  checks: (Refused & {
    action: RepoCheck['action'] | AccessRule['action'];
    subject: string;
    attrs?: Record<string, unknown>;
  })[];
  /** The repo a read fetches from upstream (gets the service token, is subject to policy). */
  upstreamRead?: RepoCheck['repo'];
  audit?: RequestAccess['audit'];
}

/**
 * The one place access is decided, for every route of the gateway: the Hub surface (resolve and
 * API, classified from the URL), and the admin API (each route declares `@Requires`). It also
 * decides what the mirror presents upstream for the request (`req.dingo`), applies the upstream
 * repo policy, and records refusals in the audit log.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(CredentialVerifier) private readonly verifier: CredentialVerifier,
    @Inject(AbilityCache) private readonly abilities: AbilityCache,
    @Inject(RepoPolicyBook) private readonly policy: RepoPolicyBook,
    @Inject(SubjectLoader) private readonly subjects: SubjectLoader,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(AccessSettings) private readonly settings: AccessSettings,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    // Nothing is forwarded upstream unless decided below (a mirror token must never leak upstream).
    setDingoContext(req, { upstreamAuthorization: undefined });
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, targets);
    if (!rule && isOpenPath(req.originalUrl)) return true;
    if (!rule && /^\/admin(\/|$)/i.test(req.path)) throw HubError.notFound();

    const credential = await this.authenticate(req, res);
    const principal: Principal = credential.kind === 'user' ? credential.principal : ANONYMOUS;
    const ability = await this.abilities.forCredential(credential);
    const decision = rule
      ? await this.adminDecision(rule, req, principal, ability)
      : this.hubDecision(req, principal);

    for (const check of decision.checks) {
      const target = check.attrs ? caslSubject(check.subject, { ...check.attrs }) : check.subject;
      if (!ability.can(check.action, target as Parameters<AppAbility['can']>[1]))
        this.refuse(req, principal, check);
    }
    if (decision.upstreamRead) {
      try {
        await this.policy.assertAllowed(decision.upstreamRead);
      } catch (err) {
        const check = { action: 'read', what: repoKey(decision.upstreamRead), repo: decision.upstreamRead };
        this.recordRefusal(req, principal, 403, check, (err as Error).message);
        throw err;
      }
    }
    const dingo: DingoRequestContext = {
      upstreamAuthorization: upstreamAuthorizationFor(
        this.settings,
        credential,
        decision.upstreamRead !== undefined,
      ),
      principal: principalSummary(principal),
      parsed: decision.parsed,
      mayRead: (repo) =>
        ability.can(
          'read',
          caslSubject('Repo', { ...repo } as Record<string, unknown>) as Parameters<AppAbility['can']>[1],
        ),
    };
    setRequestAccess(req, { principal, ability, audit: decision.audit }, dingo);
    return true;
  }

  /** Bad credentials are a 401 (audited), never a fallback to anonymous. */
  private async authenticate(req: Request, res: Response): Promise<Credential> {
    try {
      const credential = await this.verifier.authenticate(req, res);
      if (credential.kind === 'foreign' && this.settings.upstreamTokenMode === 'service') {
        throw HubError.unauthorized(
          'Invalid credentials: this mirror accepts only its own tokens (dgo_…) or admin sessions',
        );
      }
      return credential;
    } catch (err) {
      const what = `${req.method} ${req.path.slice(0, 200)}`;
      this.recordRefusal(req, ANONYMOUS, 401, { action: 'authenticate', what }, (err as Error).message);
      throw err;
    }
  }

  private hubDecision(req: Request, principal: Principal): Decision {
    const namespace = principal.kind === 'user' ? principal.username : undefined;
    const access = classifyHubRequest(req.method, req.originalUrl, req.body, namespace);
    if (access.kind === 'open') return { checks: [] };
    const checks = access.checks.map((c) =>
      c.action === 'manage'
        ? { action: 'manage' as const, subject: 'all', what: `${req.method} ${req.path.slice(0, 200)}` }
        : c.repo
          ? {
              action: c.action,
              subject: 'Repo',
              attrs: { type: c.repo.type, id: c.repo.id },
              what: repoKey(c.repo),
              repo: c.repo,
            }
          : { action: c.action, subject: 'Repo', what: 'repos' },
    );
    const first = access.checks[0];
    // A hosted repo's reads stay on the mirror: no upstream credentials, no upstream repo policy.
    const upstreamRead =
      first?.action === 'read' && first.repo && !this.settings.localNamespaces.includes(first.repo)
        ? first.repo
        : undefined;
    const audited = access.checks.find(
      (c) => c.action === 'upload' || c.action === 'delete' || c.action === 'manage',
    );
    return {
      parsed: access.parsed,
      checks,
      upstreamRead,
      audit: audited
        ? { action: audited.action as 'upload' | 'delete' | 'manage', repo: audited.repo }
        : undefined,
    };
  }

  /** Type first (a caller with no right on this kind of resource learns nothing about ids), then the instance. */
  private async adminDecision(
    rule: AccessRule,
    req: Request,
    principal: Principal,
    ability: AppAbility,
  ): Promise<Decision> {
    const what = `${rule.subject} (${req.method} ${req.path.slice(0, 200)})`;
    const mutating = !['GET', 'HEAD'].includes(req.method);
    const audit: RequestAccess['audit'] = mutating
      ? { action: rule.subject === 'Repo' && rule.action === 'delete' ? 'delete' : 'manage' }
      : undefined;
    if (!ability.can(rule.action, rule.subject)) this.refuse(req, principal, { action: rule.action, what });
    const attrs = rule.load ? await rule.load(req, this.subjects, principal) : undefined;
    if (attrs === null) throw HubError.notFound(`${rule.subject} not found`);
    if (attrs === undefined) return { checks: [], audit };
    const repo =
      rule.subject === 'Repo' ? { type: attrs.type as RepoRef['type'], id: String(attrs.id) } : undefined;
    return {
      checks: [
        { action: rule.action, subject: rule.subject, attrs, what: repo ? repoKey(repo) : what, repo },
      ],
      audit: audit && { ...audit, repo },
    };
  }

  private refuse(req: Request, principal: Principal, check: Refused): never {
    const { action, what } = check;
    if (principal.kind === 'anonymous') {
      this.recordRefusal(req, principal, 401, check, 'authentication required');
      throw HubError.unauthorized(
        `Authentication required to ${action} ${what}: send a DingoSpeed token (Authorization: Bearer dgo_…, or HF_TOKEN)`,
      );
    }
    this.recordRefusal(req, principal, 403, check, 'not permitted');
    throw HubError.forbidden(`Forbidden: ${principal.username} may not ${action} ${what}`);
  }

  private recordRefusal(
    req: Request,
    principal: Principal,
    status: number,
    check: Refused,
    reason: string,
  ): void {
    this.audit.write({
      action: 'denied',
      status,
      userId: principal.kind === 'user' ? principal.userId : undefined,
      tokenId: principal.kind === 'user' ? principal.tokenId : undefined,
      repoType: check.repo?.type,
      repoId: check.repo?.id,
      clientIp: req.ip,
      detail: {
        method: req.method,
        path: req.path.slice(0, 300),
        wanted: check.action,
        on: check.what.slice(0, 300),
        reason: reason.slice(0, 300),
      },
    });
  }
}

function principalSummary(principal: Principal): DingoRequestContext['principal'] {
  return principal.kind === 'user'
    ? { userId: principal.userId, tokenId: principal.tokenId, name: principal.username }
    : undefined;
}
