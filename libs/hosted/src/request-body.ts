import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
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

/**
 * The lines of an NDJSON body, read only as they are consumed (a stream stays paused until then;
 * readline would emit lines, and close, before a slow consumer starts iterating, and lose them).
 * A consumer that stops early (a refused commit) leaves the request intact, drained, so the
 * answer still reaches the client.
 */
export async function* ndjsonLines(req: Readable): AsyncIterable<string> {
  let rest = '';
  const utf8 = new StringDecoder('utf8'); // a character may straddle two chunks
  try {
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      rest += utf8.write(chunk);
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        yield rest.slice(0, nl).replace(/\r$/, '');
        rest = rest.slice(nl + 1);
      }
    }
    rest += utf8.end();
    if (rest) yield rest;
  } finally {
    req.resume();
  }
}
