import {
  CallHandler,
  ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { Observable, tap } from 'rxjs';
import { HubError } from '@dingo/hub-protocol';
import { optionalRequestAccess, RequestAccess } from './access-context';
import { AccessDirectory } from './access-directory';
import { AuditLog } from './audit-log';
import { RepoPolicyBook } from './repo-policy';

const SECRET_KEYS = /pass|secret|token|key/i;

/**
 * Records the outcome of the changes the guard let through (Hub uploads and deletes, every admin
 * change) once the handler has finished, and drops cached access decisions after a successful
 * admin change so it applies to the very next request.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(AccessDirectory) private readonly directory: AccessDirectory,
    @Inject(RepoPolicyBook) private readonly policy: RepoPolicyBook,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    const access = optionalRequestAccess(req);
    if (!access?.audit) return next.handle();
    const res = context.switchToHttp().getResponse<Response>();
    const status = () =>
      res.headersSent
        ? res.statusCode
        : (this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) ??
          (req.method === 'POST' ? 201 : 200));
    return next.handle().pipe(
      tap({
        next: (value) => this.finished(req, access, status(), value),
        error: (err) => this.finished(req, access, statusOf(err), undefined),
      }),
    );
  }

  private finished(req: Request, access: RequestAccess, status: number, value: unknown): void {
    const { principal, audit } = access;
    if (status < 400 && audit!.action !== 'upload') {
      this.directory.invalidate();
      this.policy.invalidate();
    }
    const target =
      value && typeof value === 'object' && 'id' in value ? String((value as { id: unknown }).id) : undefined;
    this.audit.write({
      action: audit!.action,
      status,
      userId: principal.kind === 'user' ? principal.userId : undefined,
      tokenId: principal.kind === 'user' ? principal.tokenId : undefined,
      repoType: audit!.repo?.type,
      repoId: audit!.repo?.id,
      bytes: typeof audit!.detail?.bytes === 'number' ? audit!.detail.bytes : undefined,
      clientIp: req.ip,
      detail: {
        method: req.method,
        path: req.path.slice(0, 300),
        ...(target ? { target } : {}),
        ...audit!.detail,
        ...(req.path.startsWith('/admin/') && req.body && typeof req.body === 'object'
          ? { body: sanitized(req.body) }
          : {}),
      },
    });
  }
}

function statusOf(err: unknown): number {
  if (err instanceof HubError) return err.status;
  if (err instanceof HttpException) return err.getStatus();
  return 500;
}

/** A request body fit for the audit log: secrets redacted, short, shallow. */
export function sanitized(body: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body).slice(0, 20)) {
    const k = key.slice(0, 64);
    if (SECRET_KEYS.test(k)) out[k] = '[redacted]';
    else if (typeof value === 'string') out[k] = value.slice(0, 200);
    else if (typeof value === 'number' || typeof value === 'boolean' || value === null) out[k] = value;
    else out[k] = '[…]';
  }
  return out;
}
