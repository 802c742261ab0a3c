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
  /** The last failure was a timeout: trying again costs the whole timeout, so it is not retried freely. */
  hanging: boolean;
  /** One request is trying a hanging origin whose down time ran out; the others do not wait on it too. */
  trying: boolean;
}

/** Down times grow with consecutive failures, up to this many times the base. */
const MAX_BACKOFF_FACTOR = 12;

/**
 * Sends hub requests to the best upstream origin: lowest measured latency among those that are
 * up; a connection failure or timeout marks an origin down for a while (growing with repeated
 * failures) and the request fails over to the next one. A down origin is still tried last, except
 * by `failFast` requests (callers holding a cached answer) when it timed out: those skip it while
 * it is down, and only one of them at a time tries it after, so a hanging upstream costs cached
 * reads one timeout, not one per request.
 * Absolute URLs (CDN redirects) are sent as they are.
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
    this.origins = origins.map((origin, i) => ({
      origin,
      latencyMs: i,
      failures: 0,
      downUntil: 0,
      hanging: false,
      trying: false,
    }));
  }

  private readonly observers: UpstreamObserver[] = [];

  observe(observer: UpstreamObserver): void {
    this.observers.push(observer);
  }

  get primary(): string {
    return this.ranked()[0].origin;
  }

  /** True when some origin's last request timed out (callers with a cached answer may not wait). */
  get hanging(): boolean {
    return this.origins.some((o) => o.hanging);
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
    const now = Date.now();
    for (const health of this.ranked()) {
      const skippable = req.failFast && health.hanging;
      if (skippable && (health.downUntil > now || health.trying)) continue;
      const trial = skippable;
      if (trial) health.trying = true;
      try {
        return await this.track(health.origin, health, () =>
          this.http.send({ ...req, url: health.origin + req.url }),
        );
      } catch (err) {
        if (!(err instanceof UpstreamUnreachableError)) throw err;
        lastError = err;
      } finally {
        if (trial) health.trying = false;
      }
    }
    if (lastError) throw lastError;
    const first = this.ranked()[0];
    const retryIn = Math.max(0, Math.ceil((first.downUntil - now) / 1000));
    throw new UpstreamUnreachableError(
      first.origin,
      new Error(`every upstream origin is down (next try in ${retryIn} s)`),
    );
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
        health.hanging = false;
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
          health.hanging = err.timedOut;
          const factor = Math.min(2 ** (health.failures - 1), MAX_BACKOFF_FACTOR);
          health.downUntil = Date.now() + this.downForMs * factor;
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
