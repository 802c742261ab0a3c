import { UpstreamRefusedError } from './address-policy';
import { isTroubleStatus, OriginBook, OriginReport, OriginState, retryAfterMs } from './origin-book';
import {
  drain,
  UpstreamRequest,
  UpstreamResponse,
  UpstreamSender,
  UpstreamUnreachableError,
} from './upstream-client';

/** Told of every upstream exchange (metrics): answers with their time to headers, and failures. */
export interface UpstreamObserver {
  answered(origin: string, seconds: number, status: number): void;
  failed(origin: string, kind: 'unreachable' | 'timeout' | 'refused'): void;
  /** The preferred origin changed (it failed, or another became faster by more than the threshold). */
  switched?(from: string, to: string, why: string): void;
}

export interface UpstreamRouterOptions {
  /** Base backoff of an origin in trouble (doubling with each trouble in a row, capped). */
  downForMs?: number;
  /** Switch away from the current origin when another is this much faster (ms of latency). */
  switchThresholdMs?: number;
  /** Per-origin trouble and measurements; shared with the multi-source chunk puller. */
  book?: OriginBook;
}

/** What `/health`, metrics and `dingo status` show of each configured origin. */
export interface OriginHealthReport extends OriginReport {
  /** The origin requests go to now. */
  current: boolean;
}

/**
 * Sends hub requests to the preferred upstream origin and fails over to the others. The preferred
 * origin stays until it is in trouble or another one answers faster by more than
 * `switchThresholdMs` (latencies are moving averages of real requests and of periodic probes, so
 * an origin not in use is still measured). An origin that was never measured never outranks a
 * measured one. Trouble is a connection failure, a timeout, a 429 (down for its Retry-After: not
 * sent anything before it ends) or a 5xx: the origin backs off (growing with repeated trouble) and
 * the request goes to the next one; a 429/5xx answer is returned only when no other origin is left.
 * A down origin is still tried last, except by `failFast` requests (callers holding a cached answer)
 * when it timed out: those skip it while it is down, and only one of them at a time tries it after,
 * so a hanging upstream costs cached reads one timeout, not one per request.
 * Absolute URLs (CDN redirects) are sent as they are; `req.origin` pins a request to one origin.
 */
export class UpstreamRouter {
  readonly book: OriginBook;
  private readonly switchThresholdMs: number;
  private current: string;
  private lastSuccess = 0;
  private lastFailure = 0;
  private probing?: NodeJS.Timeout;
  private readonly probesInFlight = new Set<string>();
  private readonly observers: UpstreamObserver[] = [];

  constructor(
    private readonly http: UpstreamSender,
    readonly origins: string[],
    options: number | UpstreamRouterOptions = {},
  ) {
    const opts = typeof options === 'number' ? { downForMs: options } : options;
    this.book = opts.book ?? new OriginBook({ downForMs: opts.downForMs });
    this.switchThresholdMs = opts.switchThresholdMs ?? 300;
    for (const origin of origins) this.book.get(origin);
    this.current = origins[0];
  }

  observe(observer: UpstreamObserver): void {
    this.observers.push(observer);
  }

  /** The origin requests go to now. */
  get primary(): string {
    this.reconsider(Date.now());
    return this.current;
  }

  /** True when some origin's last request timed out (callers with a cached answer may not wait). */
  get hanging(): boolean {
    return this.origins.some((o) => this.book.get(o).hanging);
  }

  /** True when the last attempt to reach any upstream failed and nothing succeeded since. */
  get offline(): boolean {
    return this.lastFailure > this.lastSuccess;
  }

  /** Up before down; measured (fastest first) before unmeasured (in configured order); down by recovery time. */
  private compare(a: OriginState, b: OriginState, now: number): number {
    const aDown = a.downUntil > now;
    const bDown = b.downUntil > now;
    if (aDown !== bDown) return aDown ? 1 : -1;
    if (aDown) return a.downUntil - b.downUntil;
    if (a.latencyMs !== undefined && b.latencyMs !== undefined) return a.latencyMs - b.latencyMs;
    if (a.latencyMs !== undefined) return -1;
    if (b.latencyMs !== undefined) return 1;
    return this.origins.indexOf(a.origin) - this.origins.indexOf(b.origin);
  }

  /** Switches the current origin when it is down, or when another is faster by more than the threshold. */
  private reconsider(now: number): void {
    const states = this.origins.map((o) => this.book.get(o));
    const best = [...states].sort((a, b) => this.compare(a, b, now))[0];
    const cur = this.book.get(this.current);
    if (best === cur || best.downUntil > now) return;
    let why: string | undefined;
    if (cur.downUntil > now) why = `${this.current} is in trouble (${cur.trouble ?? 'down'})`;
    else if (
      best.latencyMs !== undefined &&
      cur.latencyMs !== undefined &&
      best.latencyMs + this.switchThresholdMs < cur.latencyMs
    )
      why = `${best.origin} answers in ${Math.round(best.latencyMs)} ms, ${this.current} in ${Math.round(cur.latencyMs)} ms`;
    if (!why) return;
    const from = this.current;
    this.current = best.origin;
    for (const o of this.observers) o.switched?.(from, best.origin, why);
  }

  private ranked(now: number): OriginState[] {
    this.reconsider(now);
    const cur = this.book.get(this.current);
    const rest = this.origins
      .filter((o) => o !== this.current)
      .map((o) => this.book.get(o))
      .sort((a, b) => this.compare(a, b, now));
    return cur.downUntil > now ? [...rest, cur].sort((a, b) => this.compare(a, b, now)) : [cur, ...rest];
  }

  /** `path` is relative to the hub origin (`/api/models/x`); absolute URLs bypass routing. */
  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    if (/^https?:\/\//.test(req.url))
      return this.track(new URL(req.url).origin, false, () => this.http.send(req));
    if (req.origin) return this.sendTo(req.origin, req);
    let lastError: unknown;
    const now = Date.now();
    // An origin that asked to be left alone (Retry-After) is not sent anything before its time.
    const candidates = this.ranked(now).filter((h) => !(h.retryAfter && h.downUntil > now));
    const plan = candidates.filter((h) => !(req.failFast && h.hanging && (h.downUntil > now || h.trying)));
    /** A 429/5xx answer held while the next origin is tried; returned if nothing better comes. */
    let held: UpstreamResponse | undefined;
    for (const health of plan) {
      const trial = Boolean(req.failFast && health.hanging);
      if (trial && health.trying) continue;
      if (trial) health.trying = true;
      try {
        const res = await this.track(health.origin, true, () =>
          this.http.send({ ...req, url: health.origin + req.url }),
        );
        if (!isTroubleStatus(res.status)) {
          if (held) drain(held.body);
          return res;
        }
        if (held) drain(held.body);
        held = res;
      } catch (err) {
        if (!(err instanceof UpstreamUnreachableError)) {
          if (held) drain(held.body);
          throw err;
        }
        lastError = err;
      } finally {
        if (trial) health.trying = false;
      }
    }
    if (held) return held;
    if (lastError) throw lastError;
    const first = this.ranked(now)[0];
    const retryIn = Math.max(0, Math.ceil((first.downUntil - now) / 1000));
    throw new UpstreamUnreachableError(
      first.origin,
      new Error(
        `every upstream origin is ${first.retryAfter ? 'rate limited' : 'down'} (next try in ${retryIn} s)`,
      ),
    );
  }

  /** Sends to one origin only (a source of a multi-source pull): no failover, trouble recorded. */
  private sendTo(origin: string, req: UpstreamRequest): Promise<UpstreamResponse> {
    if (!this.origins.includes(origin)) throw new Error(`${origin} is not a configured upstream origin`);
    const { origin: _pinned, ...rest } = req;
    return this.track(origin, true, () => this.http.send({ ...rest, url: origin + req.url }));
  }

  private async track(origin: string, routed: boolean, call: () => Promise<UpstreamResponse>) {
    const started = performance.now();
    try {
      const res = await call();
      const ms = performance.now() - started;
      for (const o of this.observers) o.answered(origin, ms / 1000, res.status);
      this.lastSuccess = Date.now();
      if (routed) {
        if (isTroubleStatus(res.status))
          this.book.troubled(
            origin,
            res.status === 429 ? '429' : '5xx',
            res.status === 429 ? retryAfterMs(res.headers['retry-after']) : undefined,
          );
        else this.book.answered(origin, ms);
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
        if (routed) this.book.troubled(origin, err.timedOut ? 'timeout' : 'unreachable');
      }
      throw err;
    }
  }

  /**
   * Probes every origin every `intervalMs` with a cheap request (`path`), so origins not in use are
   * measured too and one in trouble is tried again once its backoff (or Retry-After) ends.
   */
  startProbing(intervalMs: number, path = '/api/models?limit=1'): void {
    this.stopProbing();
    if (intervalMs <= 0) return;
    const round = () => void Promise.all(this.origins.map((o) => this.probe(o, path)));
    this.probing = setInterval(round, intervalMs);
    this.probing.unref();
    round();
  }

  stopProbing(): void {
    if (this.probing) clearInterval(this.probing);
    this.probing = undefined;
  }

  /** One probe of `origin` (also what the interval runs); resolves when it answered or failed. */
  async probe(origin: string, path = '/api/models?limit=1'): Promise<void> {
    const state = this.book.get(origin);
    // An origin in trouble waits out its backoff (or Retry-After): a probe is its first try after.
    if (state.downUntil > Date.now() || this.probesInFlight.has(origin)) return;
    this.probesInFlight.add(origin);
    state.lastProbeAt = Date.now();
    try {
      const res = await this.track(origin, true, () =>
        this.http.send({ method: 'GET', url: origin + path, headers: { accept: 'application/json' } }),
      );
      drain(res.body);
    } catch {
      /* recorded as trouble by track */
    } finally {
      this.probesInFlight.delete(origin);
      this.reconsider(Date.now());
    }
  }

  health(): OriginHealthReport[] {
    const current = this.primary;
    return this.book.snapshot(this.origins).map((r) => ({ ...r, current: r.origin === current }));
  }
}
