import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram, Registry } from 'prom-client';
import { Mirror, registerMirrorMetrics } from '@dingo/mirror';

/** Request latency buckets, seconds: a warm metadata answer to a multi-GB download. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 600];

/** What a request was, in few enough values to be a label. */
export function routeKind(method: string, path: string): string {
  if (/\/resolve\//.test(path) && !path.startsWith('/api/')) return 'resolve';
  if (/^\/api\/(models|datasets|spaces)\/?$/.test(path)) return 'api-list';
  const api =
    /^\/api\/(models|datasets|spaces)\/.+?\/(tree|paths-info|revision|refs|commits?|xet-read-token)\b/.exec(
      path,
    );
  if (api) return `api-${api[2].replace(/s$/, '') === 'commit' ? 'commits' : api[2]}`;
  if (/^\/api\/(models|datasets|spaces)\//.test(path)) return 'api-info';
  if (path.startsWith('/api/')) return 'api-other';
  if (path.startsWith('/admin/')) return 'admin';
  if (path.startsWith('/xet-cas/')) return 'xet-cas';
  if (path === '/health' || path.startsWith('/health/')) return 'health';
  if (path === '/metrics') return 'metrics';
  return method === 'GET' || method === 'HEAD' ? 'other' : 'other-write';
}

/**
 * Prometheus metrics of the HTTP surface: requests by route kind, method, status and cache
 * outcome (hit, miss, partial, stale, local, none), latency to the first byte and in all, bytes
 * served by source; plus the mirror's own metrics.
 */
export class HubMetrics {
  private readonly requests: Counter;
  private readonly duration: Histogram;
  private readonly firstByte: Histogram;
  private readonly served: Counter;

  constructor(mirror: Mirror, registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'dingo_http_requests_total',
      help: 'Requests answered, by route kind, method, status and cache outcome',
      labelNames: ['route', 'method', 'status', 'cache'],
      registers,
    });
    this.duration = new Histogram({
      name: 'dingo_http_request_duration_seconds',
      help: 'Time from request to the last byte of the answer, by route kind',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.firstByte = new Histogram({
      name: 'dingo_http_time_to_first_byte_seconds',
      help: 'Time from request to the answer headers, by route kind and cache outcome',
      labelNames: ['route', 'cache'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.served = new Counter({
      name: 'dingo_served_bytes_total',
      help: 'File bytes sent to clients, by where they came from (cache, upstream)',
      labelNames: ['source'],
      registers,
    });
    registerMirrorMetrics(mirror, registry);
  }

  servedBytes(source: 'cache' | 'upstream', bytes: number): void {
    if (bytes > 0) this.served.inc({ source }, bytes);
  }

  /** Express middleware measuring every request (mounted for all routes). */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const route = routeKind(req.method, req.originalUrl.split('?')[0]);
    let headersAt: number | undefined;
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: Parameters<Response['writeHead']>) {
      headersAt ??= seconds();
      return writeHead.apply(this, args);
    } as Response['writeHead'];
    res.once('close', () => {
      const cache = cacheOutcome(res);
      this.requests.inc({ route, method: req.method, status: String(res.statusCode), cache });
      if (headersAt !== undefined) this.firstByte.observe({ route, cache }, headersAt);
      this.duration.observe({ route }, seconds());
    });
    next();
  };
}

/** The outcome the file responder recorded, or the API cache's `X-Dingo-Cache` answer. */
function cacheOutcome(res: Response): string {
  const recorded = (res.locals as { dingoCache?: string }).dingoCache;
  if (recorded) return recorded;
  const header = res.getHeader('x-dingo-cache');
  return typeof header === 'string' ? header.toLowerCase() : 'none';
}
