import { Agent, Dispatcher, request } from 'undici';
import { Readable } from 'node:stream';

export class UpstreamUnreachableError extends Error {
  constructor(
    readonly origin: string,
    cause: unknown,
  ) {
    super(`Upstream ${origin} unreachable: ${(cause as Error)?.message ?? cause}`);
    this.name = 'UpstreamUnreachableError';
  }
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Readable;
  /** Absolute URL that answered. */
  url: string;
  origin: string;
}

export interface UpstreamRequest {
  method?: 'GET' | 'HEAD' | 'POST';
  /** Absolute URL (CDN redirects) or a path on the chosen upstream origin. */
  url: string;
  headers?: Record<string, string | undefined>;
  body?: string | Buffer;
  signal?: AbortSignal;
}

function flattenHeaders(
  h: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** One keep-alive HTTP client for all upstream traffic (hub API, resolve and CDN). */
export class UpstreamHttp {
  private readonly agent: Dispatcher;

  constructor(private readonly timeoutMs: number) {
    this.agent = new Agent({
      connections: 64,
      keepAliveTimeout: 30_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connectTimeout: Math.min(timeoutMs, 10_000),
    });
  }

  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const url = new URL(req.url);
    const headers: Record<string, string> = { 'user-agent': 'dingospeed/0.1' };
    for (const [k, v] of Object.entries(req.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
    try {
      const res = await request(url, {
        method: req.method ?? 'GET',
        headers,
        body: req.body,
        dispatcher: this.agent,
        signal: req.signal,
        maxRedirections: 0,
      } as Parameters<typeof request>[1]);
      return {
        status: res.statusCode,
        headers: flattenHeaders(res.headers),
        body: res.body as unknown as Readable,
        url: url.toString(),
        origin: url.origin,
      };
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new UpstreamUnreachableError(url.origin, err);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Reads a small body fully (API JSON, error bodies). Refuses bodies over `limit`. */
export async function readSmallBody(body: Readable, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of body) {
    size += (part as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new Error(`Upstream body larger than ${limit} bytes`);
    }
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts);
}

/** Discards a body so the connection can be reused. */
export function drain(body: Readable): void {
  body.resume();
  body.on('error', () => undefined);
}
