import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** Every answer carries an `X-Request-Id`; Hub clients quote it in their error messages. */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Request-Id', `Root=1-${randomUUID()}`);
  res.setHeader('Access-Control-Allow-Origin', '*');
  next();
}
