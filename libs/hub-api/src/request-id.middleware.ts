import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { requestScope } from '@dingo/contracts';

/** Every answer carries an `X-Request-Id`; Hub clients quote it in their error messages. */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const requestId = `Root=1-${randomUUID()}`;
  res.setHeader('X-Request-Id', requestId);
  res.setHeader('Access-Control-Allow-Origin', '*');
  requestScope.run({ requestId }, next);
}
