import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import type { SimFault } from '@dingo/hub-simulator';
import type { PythonWorld } from './world';

export interface TappedRequest {
  seq: number;
  /** 'gateway', 'hub' (simulator hub origin) or 'cdn' (simulator CDN origin). */
  server: 'gateway' | 'hub' | 'cdn';
  method: string;
  url: string;
  range?: string;
  userAgent?: string;
  accept?: string;
  /** The status answered (undefined while the response is in flight). */
  status?: number;
}

/** The mirror's own upstream client identifies itself so; anything else reaching the simulator bypassed the mirror. */
export const MIRROR_USER_AGENT = /^dingospeed\//;

/**
 * Records every HTTP request that reaches the gateway or the simulator in this process (through
 * node's `http.server.request.start` diagnostics channel, so neither needs a hook), keyed by the
 * listening port. The simulator's request log has no client identity; this one has the User-Agent.
 */
export class RequestTap {
  readonly requests: TappedRequest[] = [];
  private seq = 0;
  private readonly inFlight = new WeakMap<IncomingMessage, TappedRequest>();
  private readonly onRequest = (message: unknown) => {
    const { request, server } = message as { request: IncomingMessage; server: Server };
    const port = (server.address() as AddressInfo | null)?.port;
    const which = port === undefined ? undefined : this.ports()[port];
    if (!which) return;
    const entry: TappedRequest = {
      seq: ++this.seq,
      server: which,
      method: request.method ?? '',
      url: request.url ?? '',
      range: request.headers.range,
      userAgent: request.headers['user-agent'],
      accept: request.headers.accept,
    };
    this.requests.push(entry);
    this.inFlight.set(request, entry);
  };
  private readonly onFinish = (message: unknown) => {
    const { request, response } = message as { request: IncomingMessage; response: { statusCode: number } };
    const entry = this.inFlight.get(request);
    if (entry) entry.status = response.statusCode;
  };

  constructor(private readonly ports: () => Record<number, TappedRequest['server']>) {
    subscribe('http.server.request.start', this.onRequest);
    subscribe('http.server.response.finish', this.onFinish);
  }

  /** Requests that reached the simulator from anything but the mirror. */
  bypassing(): TappedRequest[] {
    return this.requests.filter((r) => r.server !== 'gateway' && !MIRROR_USER_AGENT.test(r.userAgent ?? ''));
  }

  close(): void {
    unsubscribe('http.server.request.start', this.onRequest);
    unsubscribe('http.server.response.finish', this.onFinish);
  }
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

export function tapWorld(w: PythonWorld): RequestTap {
  return new RequestTap(() => ({
    [portOf(w.gateway.url)]: 'gateway',
    [portOf(w.sim.url)]: 'hub',
    [portOf(w.sim.cdnUrl)]: 'cdn',
  }));
}

/**
 * A loopback HTTP API the Python cases use to act on the world around them: stop/restart the
 * upstream, inject faults, and read what the gateway and the simulator received. The clients under
 * test never learn the simulator's address from it.
 */
export async function startControlServer(w: PythonWorld, tap: RequestTap) {
  const routes: Record<string, (body: any, query: URLSearchParams) => Promise<unknown> | unknown> = {
    'POST /sim/stop': () => w.sim.stop(),
    'POST /sim/restart': () => w.sim.restart(),
    /** Drops every open upstream connection (a stalled transfer fails at once) and listens again. */
    'POST /sim/drop-connections': async () => {
      await w.sim.stop();
      await w.sim.restart();
    },
    'POST /sim/fault': (b: { match: string; fault: SimFault; times?: number }) =>
      w.sim.injectFault(new RegExp(b.match), b.fault, b.times ?? 1),
    'POST /sim/clear-faults': () => w.sim.clearFaults(),
    'GET /sim/bytes': (_b, q) =>
      w.sim.stats.bytesServed({ path: q.get('path') ?? undefined, sha256: q.get('sha256') ?? undefined }),
    'GET /requests': (_b, q) => {
      const since = Number(q.get('since') ?? 0);
      const server = q.get('server');
      return tap.requests.filter((r) => r.seq > since && (!server || r.server === server));
    },
    'GET /requests/last-seq': () => tap.requests.at(-1)?.seq ?? 0,
    'GET /requests/bypassing': () => tap.bypassing(),
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    const handler = routes[`${req.method} ${url.pathname}`];
    let raw = '';
    for await (const part of req) raw += part;
    try {
      if (!handler) throw new Error(`no control route ${req.method} ${url.pathname}`);
      const result = await handler(raw ? JSON.parse(raw) : {}, url.searchParams);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result ?? null));
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: (err as Error).message }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
