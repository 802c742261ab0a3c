import { randomUUID } from 'node:crypto';
import Redis, { RedisOptions } from 'ioredis';

export interface RedisLockOptions {
  /** Prepended to every lock key and to the release channel (default `dingo:lock:`). */
  prefix?: string;
  /**
   * How often waitFor re-checks a held lock. Releases wake waiters at once over pub/sub; the
   * poll only matters when a holder died and its lock expired (expiry publishes nothing).
   */
  pollMs?: number;
}

// Both scripts act only if the caller still holds the lock: after a pause longer than the TTL
// another node may own the key, and a plain DEL or PEXPIRE would break its lock.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('del', KEYS[1])
  redis.call('publish', ARGV[2], ARGV[3])
  return 1
end
return 0`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0`;

/**
 * A lease on a key, cluster-wide (single Redis): the cross-node half of single-flight, so one
 * node pulls a chunk from upstream while the others wait for it to land in the chunk store.
 * Holders renew before the TTL runs out; a crashed holder's lock expires on its own.
 */
export class RedisLock {
  private readonly redis: Redis;
  private readonly ownsRedis: boolean;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly pollMs: number;
  private readonly waiters = new Map<string, Set<() => void>>();
  private subscriber?: Promise<Redis>;

  constructor(redis: Redis | RedisOptions | string, options: RedisLockOptions = {}) {
    this.ownsRedis = !(redis instanceof Redis);
    this.redis =
      redis instanceof Redis ? redis : typeof redis === 'string' ? new Redis(redis) : new Redis(redis);
    this.prefix = options.prefix ?? 'dingo:lock:';
    this.channel = `${this.prefix}released`;
    this.pollMs = options.pollMs ?? 250;
  }

  /** Takes the lock for ttlMs; returns the token that proves ownership, or undefined if held. */
  async acquire(key: string, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const ok = await this.redis.set(this.prefix + key, token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? token : undefined;
  }

  /** Extends our lock to ttlMs from now; false if it expired or is someone else's now. */
  async renew(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.prefix + key, token, ttlMs)) === 1;
  }

  /** Releases our lock and wakes waiters on every node; false if it was no longer ours. */
  async release(key: string, token: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, this.prefix + key, token, this.channel, key)) === 1;
  }

  /** Resolves true once nobody holds `key` (released or expired), false after timeoutMs. */
  async waitFor(key: string, timeoutMs = 30_000): Promise<boolean> {
    await this.subscribe();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // Listen before looking, so a release between the check and the wait is not missed.
      const wake = this.nextWake(key, Math.min(this.pollMs, Math.max(0, deadline - Date.now())));
      if (!(await this.redis.exists(this.prefix + key))) {
        wake.cancel();
        return true;
      }
      if (Date.now() >= deadline) {
        wake.cancel();
        return false;
      }
      await wake.promise;
    }
  }

  async close(): Promise<void> {
    const subscriber = await this.subscriber?.catch(() => undefined);
    subscriber?.disconnect();
    if (this.ownsRedis) this.redis.disconnect();
  }

  private nextWake(key: string, ms: number): { promise: Promise<void>; cancel: () => void } {
    let wake!: () => void;
    let timer!: NodeJS.Timeout;
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });
    const set = this.waiters.get(key) ?? new Set<() => void>();
    this.waiters.set(key, set.add(wake));
    const cancel = () => {
      clearTimeout(timer);
      set.delete(wake);
      if (!set.size && this.waiters.get(key) === set) this.waiters.delete(key);
    };
    void promise.then(cancel);
    return { promise, cancel };
  }

  /** One subscriber connection per RedisLock, on one channel carrying the released keys. */
  private subscribe(): Promise<Redis> {
    this.subscriber ??= (async () => {
      const sub = this.redis.duplicate();
      // Outages surface through commands on the main connection; waiters still poll meanwhile.
      sub.on('error', () => undefined);
      sub.on('message', (_channel: string, key: string) => {
        for (const wake of this.waiters.get(key) ?? []) wake();
      });
      await sub.subscribe(this.channel);
      return sub;
    })().catch((err) => {
      this.subscriber = undefined;
      throw err;
    });
    return this.subscriber;
  }
}
