import { Logger } from '@nestjs/common';
import Redis from 'ioredis';

/** Which peer edges to ask, and which to skip for now. */
export class PeerDirectory {
  private readonly log = new Logger(PeerDirectory.name);
  private readonly skipUntil = new Map<string, number>();
  private registered: string[] = [];
  private redis?: Redis;
  private timer?: NodeJS.Timeout;
  private redisKey?: string;

  constructor(
    private readonly staticPeers: string[],
    private readonly self?: string,
  ) {}

  /**
   * Registers this edge in a Redis sorted set (member: its URL, score: when it expires) every
   * `heartbeatMs`, and reads the live members back: edges that stop heartbeating drop out.
   */
  useRedisRegistry(url: string, key: string, heartbeatMs = 5_000): void {
    this.redisKey = key;
    const redis = (this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 }));
    redis.on('error', (err) => this.log.debug(`peer registry: ${err.message}`));
    const beat = async () => {
      const now = Date.now();
      try {
        if (this.self) {
          await redis.zadd(key, now + heartbeatMs * 3, this.self);
          // The set itself goes once no edge heartbeats any more.
          await redis.pexpire(key, heartbeatMs * 3);
        }
        await redis.zremrangebyscore(key, '-inf', now);
        this.registered = await redis.zrangebyscore(key, now, '+inf');
      } catch (err) {
        this.log.debug(`peer registry heartbeat failed: ${(err as Error).message}`);
      }
    };
    void beat();
    this.timer = setInterval(() => void beat(), heartbeatMs);
    this.timer.unref();
  }

  /** Peers to ask now: configured and registered ones, minus this edge and skipped ones. */
  live(): string[] {
    const now = Date.now();
    const all = new Set([...this.staticPeers, ...this.registered].map(trimSlash));
    if (this.self) all.delete(trimSlash(this.self));
    return [...all].filter((p) => (this.skipUntil.get(p) ?? 0) <= now);
  }

  skip(peer: string, forMs: number, why: string): void {
    this.log.warn(`skipping peer ${peer} for ${Math.round(forMs / 1000)}s: ${why}`);
    this.skipUntil.set(peer, Date.now() + forMs);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.redis && this.self && this.redisKey)
      await this.redis.zrem(this.redisKey, this.self).catch(() => 0);
    this.redis?.disconnect();
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
