import type { Request } from 'express';
import { HubError } from '@dingo/hub-protocol';

/** A small JSON body, parsed by Express (application/json) or read here (Git LFS's own media type). */
export async function jsonBody(req: Request, limit = 16 * 1024 * 1024): Promise<unknown> {
  if (req.readableEnded || (req.body && typeof req.body === 'object' && Object.keys(req.body).length))
    return req.body;
  const body = await readBody(req, limit);
  if (!body.length) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw HubError.badRequest('Invalid JSON body');
  }
}

/** A small request body (JSON, NDJSON of a commit forwarded upstream), refused past `limit`. */
export async function readBody(req: Request, limit = 64 * 1024 * 1024): Promise<Buffer> {
  if (req.readableEnded) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > limit) throw new HubError(413, 'PayloadTooLarge', 'Request body too large');
    parts.push(part);
  }
  return Buffer.concat(parts);
}
