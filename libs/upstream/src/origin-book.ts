/** Why an origin is in trouble: no connection, no answer in time, rate limited, or a server error. */
export type OriginTrouble = 'unreachable' | 'timeout' | '429' | '5xx';

/** What is known of one origin (a hub, a mirror of the hub, or an extra source such as ModelScope). */
export interface OriginState {
  origin: string;
  /** Exponentially weighted time to headers, ms; undefined until an answer was timed. */
  latencyMs?: number;
  /** Exponentially weighted bytes/s of file transfers while any was running; undefined until measured. */
  throughputBps?: number;
  /** Consecutive troubles; the backoff doubles with each, capped. */
  failures: number;
  /** Not to be used before this time (backoff, or the upstream's Retry-After). */
  downUntil: number;
  /** The last trouble, until an answer clears it. */
  trouble?: OriginTrouble;
  /** The down time is the upstream's own Retry-After: do not send it anything before it ends. */
  retryAfter: boolean;
  /** The last failure was a timeout: trying again costs the whole timeout, so it is not retried freely. */
  hanging: boolean;
  /** One request is trying a hanging origin whose down time ran out; the others do not wait on it too. */
  trying: boolean;
  lastProbeAt?: number;
  /** Troubles since start, by kind (never reset: for metrics and alerts, unlike `failures`). */
  troubles: Record<OriginTrouble, number>;
  // Throughput accounting: bytes and busy time (any transfer running) since the last sample.
  transfers: number;
  busySince: number;
  windowBytes: number;
  windowBusyMs: number;
}

/** What `OriginBook.snapshot()` shows per origin (/health, metrics, `dingo status`). */
export interface OriginReport {
  origin: string;
  up: boolean;
  latencyMs: number | null;
  throughputBytesPerSec: number | null;
  trouble: OriginTrouble | null;
  /** ms until the origin is tried again (0 when up). */
  retryInMs: number;
  failures: number;
  /** Troubles since start, by kind. */
  troubles: Record<OriginTrouble, number>;
}

export interface OriginBookOptions {
  /** Base backoff after a trouble; it doubles with each trouble in a row. */
  downForMs?: number;
  /** The backoff grows up to this many times the base. */
  maxBackoffFactor?: number;
  /** A Retry-After longer than this is cut to it. */
  maxRetryAfterMs?: number;
}

/** A throughput sample needs at least this much busy time. */
const SAMPLE_MS = 250;

/**
 * The one owner of per-origin state: measured latency and throughput (moving averages) and
 * trouble (backoff after connection errors, timeouts, 429 with its Retry-After, and 5xx). The
 * router ranks hub origins by it; the multi-source chunk puller weighs and excludes sources by it,
 * whether they are hub origins or extra sources registered under their own id.
 */
export class OriginBook {
  private readonly states = new Map<string, OriginState>();
  private readonly downForMs: number;
  private readonly maxBackoffFactor: number;
  private readonly maxRetryAfterMs: number;

  constructor(options: OriginBookOptions = {}) {
    this.downForMs = options.downForMs ?? 5_000;
    this.maxBackoffFactor = options.maxBackoffFactor ?? 12;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 10 * 60_000;
  }

  /** The state of `origin`, created (unmeasured, up) on first use. */
  get(origin: string): OriginState {
    let state = this.states.get(origin);
    if (!state) {
      state = {
        origin,
        failures: 0,
        troubles: { unreachable: 0, timeout: 0, '429': 0, '5xx': 0 },
        downUntil: 0,
        retryAfter: false,
        hanging: false,
        trying: false,
        transfers: 0,
        busySince: 0,
        windowBytes: 0,
        windowBusyMs: 0,
      };
      this.states.set(origin, state);
    }
    return state;
  }

  isUp(origin: string, now = Date.now()): boolean {
    return this.get(origin).downUntil <= now;
  }

  /** An answer that is not trouble: clears the trouble and folds its time to headers into the latency. */
  answered(origin: string, latencyMs?: number): void {
    const s = this.get(origin);
    if (latencyMs !== undefined)
      s.latencyMs = s.latencyMs === undefined ? latencyMs : s.latencyMs * 0.8 + latencyMs * 0.2;
    s.failures = 0;
    s.downUntil = 0;
    s.trouble = undefined;
    s.retryAfter = false;
    s.hanging = false;
  }

  /**
   * Trouble: the origin is down for a backoff that doubles with each trouble in a row, or, for a
   * 429 with Retry-After, exactly as long as the upstream asked.
   */
  troubled(origin: string, trouble: OriginTrouble, retryAfterMs?: number): void {
    const s = this.get(origin);
    s.failures++;
    s.troubles[trouble]++;
    s.trouble = trouble;
    s.hanging = trouble === 'timeout';
    const factor = Math.min(2 ** (s.failures - 1), this.maxBackoffFactor);
    const asked = retryAfterMs !== undefined && retryAfterMs >= 0;
    s.retryAfter = asked;
    const forMs = asked ? Math.min(retryAfterMs, this.maxRetryAfterMs) : this.downForMs * factor;
    s.downUntil = Math.max(s.downUntil, Date.now() + forMs);
  }

  /**
   * Starts counting a file transfer from `origin`; `add` its bytes as they arrive and `end` it.
   * Throughput is bytes over the time any transfer was running, so parallel transfers from one
   * origin measure the origin, not one connection.
   */
  transfer(origin: string): { add(bytes: number): void; end(): void } {
    const s = this.get(origin);
    const now = performance.now();
    if (s.transfers++ === 0) s.busySince = now;
    let ended = false;
    return {
      add: (bytes) => {
        s.windowBytes += bytes;
        this.sample(s, false);
      },
      end: () => {
        if (ended) return;
        ended = true;
        this.sample(s, false);
        if (--s.transfers === 0) {
          s.windowBusyMs += performance.now() - s.busySince;
          s.busySince = performance.now();
        }
      },
    };
  }

  private sample(s: OriginState, force: boolean): void {
    const now = performance.now();
    const busy = s.windowBusyMs + (s.transfers > 0 ? now - s.busySince : 0);
    if (busy < SAMPLE_MS && !force) return;
    if (busy <= 0) return;
    const rate = (s.windowBytes / busy) * 1000;
    s.throughputBps = s.throughputBps === undefined ? rate : s.throughputBps * 0.7 + rate * 0.3;
    s.windowBytes = 0;
    s.windowBusyMs = 0;
    s.busySince = now;
  }

  snapshot(origins: string[] = [...this.states.keys()]): OriginReport[] {
    const now = Date.now();
    return origins.map((origin) => {
      const s = this.get(origin);
      return {
        origin,
        up: s.downUntil <= now,
        latencyMs: s.latencyMs === undefined ? null : Math.round(s.latencyMs),
        throughputBytesPerSec: s.throughputBps === undefined ? null : Math.round(s.throughputBps),
        trouble: s.trouble ?? null,
        retryInMs: Math.max(0, s.downUntil - now),
        failures: s.failures,
        troubles: { ...s.troubles },
      };
    });
  }
}

/** Milliseconds a `Retry-After` header asks for (delta seconds or an HTTP date); undefined if absent or bad. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Statuses that are the origin's trouble (not the request's): rate limiting and server errors. */
export function isTroubleStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
