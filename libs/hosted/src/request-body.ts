import type { Request } from 'express';
import { HubError } from '@dingo/hub-protocol';

/** A small JSON body, parsed by Express (application/json) or read here (Git LFS's own media type). */
export async function jsonBody(req: Request, limit = 16 * 1024 * 1024): Promise<unknown> {
  if (req.readableEnded || (req.body && typeof req.body === 'object' && Object.keys(req.body).length))
    return req.body;
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > limit) throw new HubError(413, 'PayloadTooLarge', 'Request body too large');
    parts.push(part);
  }
  if (!size) return {};
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw HubError.badRequest('Invalid JSON body');
  }
}
