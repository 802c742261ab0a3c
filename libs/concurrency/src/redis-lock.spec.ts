import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { RedisLock } from './redis-lock';

const REDIS_URL = 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RedisLock', () => {
  // A prefix per run keeps parallel runs apart; its keys are removed afterwards.
  const prefix = `dingo-test-lock-${randomUUID()}:`;
  const locks: RedisLock[] = [];
  let redis: Redis;
  /** Each RedisLock has its own connections, like two gateways would. */
  const node = (pollMs = 5_000) => {
    const lock = new RedisLock(REDIS_URL, { prefix, pollMs });
    locks.push(lock);
    return lock;
  };

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await Promise.all(locks.map((l) => l.close()));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('lets one holder in at a time and only the holder release', async () => {
    const [a, b] = [node(), node()];
    const token = await a.acquire('chunk-1', 10_000);
    expect(token).toEqual(expect.any(String));
    expect(await b.acquire('chunk-1', 10_000)).toBeUndefined();
    expect(await b.release('chunk-1', 'not-the-token')).toBe(false);
    expect(await b.acquire('chunk-1', 10_000)).toBeUndefined();
    expect(await a.release('chunk-1', token!)).toBe(true);
    expect(await b.acquire('chunk-1', 10_000)).toEqual(expect.any(String));
  });

  it('expires a lock whose holder stopped renewing, and renews for the holder only', async () => {
    const [a, b] = [node(), node()];
    const token = (await a.acquire('chunk-2', 150))!;
    await sleep(100);
    expect(await a.renew('chunk-2', token, 300)).toBe(true);
    expect(await b.renew('chunk-2', 'not-the-token', 10_000)).toBe(false);
    await sleep(100); // 200 ms after acquire: alive only thanks to the renewal
    expect(await b.acquire('chunk-2', 1_000)).toBeUndefined();
    await sleep(250);
    expect(await a.renew('chunk-2', token, 300)).toBe(false); // expired: too late to renew
    expect(await b.acquire('chunk-2', 1_000)).toEqual(expect.any(String));
  });

  it('does not let a stale holder release a lock that expired and was taken over', async () => {
    const [a, b] = [node(), node()];
    const stale = (await a.acquire('chunk-3', 50))!;
    await sleep(80);
    const fresh = (await b.acquire('chunk-3', 10_000))!;
    expect(await a.release('chunk-3', stale)).toBe(false);
    expect(await redis.get(`${prefix}chunk-3`)).toBe(fresh);
  });

  it('wakes waiters on another node as soon as the lock is released', async () => {
    const [a, b] = [node(), node(5_000)]; // a 5 s poll: only the pub/sub message can be this quick
    const token = (await a.acquire('chunk-4', 10_000))!;
    const started = Date.now();
    const waiting = Promise.all([b.waitFor('chunk-4', 10_000), b.waitFor('chunk-4', 10_000)]);
    await sleep(50);
    await a.release('chunk-4', token);
    expect(await waiting).toEqual([true, true]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('notices an expired lock by polling, answers at once when free, and times out', async () => {
    const [a, b] = [node(), node(20)];
    await a.acquire('chunk-5', 100);
    expect(await b.waitFor('chunk-5', 5_000)).toBe(true);
    expect(await b.waitFor('never-taken', 5_000)).toBe(true);
    await a.acquire('chunk-6', 10_000);
    const started = Date.now();
    expect(await b.waitFor('chunk-6', 150)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
