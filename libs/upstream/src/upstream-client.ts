import { Readable } from 'node:stream';
import { Agent, buildConnector, Dispatcher, request } from 'undici';
import { UpstreamAddressPolicy, UpstreamRefusedError } from './address-policy';

export class UpstreamUnreachableError extends Error {
  /** The upstream did not answer in time (headers or body), as opposed to refusing the connection. */
  readonly timedOut: boolean;

  constructor(
    readonly origin: string,
    cause: unknown,
  ) {
    super(`Upstream ${origin} unreachable: ${(cause as Error)?.message ?? cause}`);
    this.name = 'UpstreamUnreachableError';
    const code = (cause as { code?: string })?.code ?? '';
    this.timedOut = /TIMEOUT/.test(code);
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
  /**
   * The caller can do without an answer (it holds a cached one): do not wait on an origin that
   * lately timed out, fail at once instead (UpstreamRouter).
   */
  failFast?: boolean;
  /**
   * Send a relative path to this configured origin only, without failover (UpstreamRouter): one
   * source of a multi-source pull. Trouble is still recorded against it.
   */
  origin?: string;
}

/** What sends one request upstream: UpstreamHttp, or a scripted fake in unit tests. */
export interface UpstreamSender {
  send(req: UpstreamRequest): Promise<UpstreamResponse>;
}

export interface UpstreamHttpOptions {
  timeoutMs: number;
  /** Where connections may go; default: anywhere (tests of the client itself). */
  policy?: UpstreamAddressPolicy;
}

function flattenHeaders(
  h: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * One keep-alive HTTP client for all upstream traffic (hub API, resolve and CDN). Every new
 * connection is checked against the address policy once connected, so a redirect (or a DNS
 * answer) cannot point the mirror at its own network.
 */
export class UpstreamHttp implements UpstreamSender {
  private readonly agent: Dispatcher;
  private readonly policy?: UpstreamAddressPolicy;

  constructor(options: UpstreamHttpOptions) {
    const { timeoutMs, policy } = options;
    this.policy = policy;
    const connectTimeout = Math.min(timeoutMs, 10_000);
    const connect = buildConnector({ timeout: connectTimeout });
    this.agent = new Agent({
      connections: 64,
      keepAliveTimeout: 30_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: policy
        ? (opts, callback) =>
            connect(opts, (err, socket) => {
              if (err || !socket) return callback(err, null);
              try {
                policy.assertConnected(`${opts.protocol}//${opts.host}`, socket.remoteAddress);
              } catch (refused) {
                socket.destroy();
                return callback(refused as Error, null);
              }
              callback(null, socket);
            })
        : { timeout: connectTimeout },
    });
  }

  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const url = new URL(req.url);
    this.policy?.assertUrl(url);
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
      if ((err as Error).name === 'AbortError' || err instanceof UpstreamRefusedError) throw err;
      const refused = (err as { cause?: unknown }).cause;
      if (refused instanceof UpstreamRefusedError) throw refused;
      throw new UpstreamUnreachableError(url.origin, err);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Discards a body so the connection can be reused. */
export function drain(body: Readable): void {
  body.resume();
  body.on('error', () => undefined);
}
