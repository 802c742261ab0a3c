import { UpstreamRefusedError } from './address-policy';
import {
  UpstreamRequest,
  UpstreamResponse,
  UpstreamSender,
  UpstreamUnreachableError,
} from './upstream-client';

/** Told of every upstream exchange (metrics): answers with their time to headers, and failures. */
export interface UpstreamObserver {
  answered(origin: string, seconds: number, status: number): void;
  failed(origin: string, kind: 'unreachable' | 'timeout' | 'refused'): void;
}

interface OriginHealth {
  origin: string;
  /** Exponentially weighted time to headers, ms. */
  latencyMs: number;
  failures: number;
  downUntil: number;
}

/**
 * Sends hub requests to the best upstream origin: lowest measured latency among those that are
 * up; a connection failure marks an origin down for a while and the request fails over to the
 * next one. Absolute URLs (CDN redirects) are sent as they are.
 */
export class UpstreamRouter {
  private readonly origins: OriginHealth[];
  private lastSuccess = 0;
  private lastFailure = 0;

  constructor(
    private readonly http: UpstreamSender,
    origins: string[],
    private readonly downForMs = 5_000,
  ) {
    this.origins = origins.map((origin, i) => ({ origin, latencyMs: i, failures: 0, downUntil: 0 }));
  }

  private readonly observers: UpstreamObserver[] = [];

  observe(observer: UpstreamObserver): void {
    this.observers.push(observer);
  }

  get primary(): string {
    return this.ranked()[0].origin;
  }

  /** True when the last attempt to reach any upstream failed and nothing succeeded since. */
  get offline(): boolean {
    return this.lastFailure > this.lastSuccess;
  }

  private ranked(): OriginHealth[] {
    const now = Date.now();
    return [...this.origins].sort((a, b) => {
      const aDown = a.downUntil > now ? 1 : 0;
      const bDown = b.downUntil > now ? 1 : 0;
      return aDown - bDown || a.latencyMs - b.latencyMs;
    });
  }

  /** `path` is relative to the hub origin (`/api/models/x`); absolute URLs bypass routing. */
  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    if (/^https?:\/\//.test(req.url))
      return this.track(new URL(req.url).origin, undefined, () => this.http.send(req));
    let lastError: unknown;
    for (const health of this.ranked()) {
      try {
        return await this.track(health.origin, health, () =>
          this.http.send({ ...req, url: health.origin + req.url }),
        );
      } catch (err) {
        if (!(err instanceof UpstreamUnreachableError)) throw err;
        lastError = err;
      }
    }
    throw lastError;
  }

  private async track(
    origin: string,
    health: OriginHealth | undefined,
    call: () => Promise<UpstreamResponse>,
  ) {
    const started = performance.now();
    try {
      const res = await call();
      for (const o of this.observers) o.answered(origin, (performance.now() - started) / 1000, res.status);
      this.lastSuccess = Date.now();
      if (health) {
        health.latencyMs = health.latencyMs * 0.8 + (performance.now() - started) * 0.2;
        health.failures = 0;
        health.downUntil = 0;
      }
      return res;
    } catch (err) {
      const kind =
        err instanceof UpstreamRefusedError
          ? 'refused'
          : err instanceof UpstreamUnreachableError
            ? err.timedOut
              ? 'timeout'
              : 'unreachable'
            : undefined;
      if (kind) for (const o of this.observers) o.failed(origin, kind);
      if (err instanceof UpstreamUnreachableError) {
        this.lastFailure = Date.now();
        if (health) {
          health.failures++;
          health.downUntil = Date.now() + this.downForMs;
        }
      }
      throw err;
    }
  }

  health(): Array<{ origin: string; latencyMs: number; up: boolean }> {
    const now = Date.now();
    return this.origins.map((o) => ({
      origin: o.origin,
      latencyMs: Math.round(o.latencyMs),
      up: o.downUntil <= now,
    }));
  }
}
