import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { EXPOSED_HEADERS, HubError } from '@dingo/hub-protocol';
import { MetadataUnavailableError } from '@dingo/metadata-store';
import { mirrorErrorAsHubError } from '@dingo/mirror';

/** The one place errors become responses, always in the Hub's wire format. */
@Catch()
export class HubErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('HubErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request>();
    const err = toHubError(exception);
    if (err.status === 500) {
      this.log.error(`${req.method} ${req.originalUrl}: ${(exception as Error)?.stack ?? exception}`);
    } else if (err.status >= 500) {
      this.log.warn(`${req.method} ${req.originalUrl}: ${err.status} ${err.message}`);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const wire = err.toResponse();
    res.status(wire.status);
    // As the Hub does: browser clients may read X-Error-Code and an EntryNotFound's X-Repo-Commit.
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    for (const [k, v] of Object.entries(wire.headers)) res.setHeader(k, v);
    res.end(req.method === 'HEAD' ? undefined : wire.body);
  }
}

export function toHubError(exception: unknown): HubError {
  const fromMirror = mirrorErrorAsHubError(exception);
  if (fromMirror) return fromMirror;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response && 'message' in response
        ? [(response as { message: unknown }).message].flat().join('; ')
        : exception.message;
    const code =
      status === 404
        ? 'NotFound'
        : status === 401
          ? 'Unauthorized'
          : status === 403
            ? 'Forbidden'
            : status < 500
              ? 'BadRequest'
              : 'InternalError';
    return new HubError(status, code, message);
  }
  // Errors from Express middleware (body-parser: 413, 400 on bad JSON) carry their own status.
  const status = (exception as { status?: unknown })?.status;
  if (
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    (exception as { expose?: boolean }).expose
  ) {
    const code = status === 413 ? 'PayloadTooLarge' : 'BadRequest';
    return new HubError(status, code, (exception as Error).message);
  }
  if (exception instanceof MetadataUnavailableError) {
    return HubError.serviceUnavailable((exception as Error).message);
  }
  return databaseErrorAsHubError(exception) ?? HubError.internal();
}

/**
 * A database that is full or busy is an operating condition, not a bug: the client gets the
 * Hub's 507/503 (and may retry) instead of a 500. TypeORM wraps the driver's error.
 */
function databaseErrorAsHubError(exception: unknown): HubError | undefined {
  const driver = (exception as { driverError?: unknown })?.driverError ?? exception;
  const { code, errno } = (driver ?? {}) as { code?: unknown; errno?: unknown };
  if (code === 'SQLITE_FULL' || errno === 1114 || code === 'ER_RECORD_FILE_FULL')
    return HubError.insufficientStorage("The mirror's database has no room left");
  if ((typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code)) || errno === 1205 || errno === 1213)
    return HubError.serviceUnavailable("The mirror's database is busy; retry shortly");
  return undefined;
}
