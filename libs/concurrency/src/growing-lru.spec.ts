import { growingLru } from './growing-lru';

describe('growingLru', () => {
  it('keeps at most `entries` entries, dropping the least recently used', () => {
    const cache = growingLru<string, number>(3);
    for (const [i, k] of ['a', 'b', 'c'].entries()) cache.set(k, i);
    cache.get('a');
    cache.set('d', 3);
    expect([...cache.keys()].sort()).toEqual(['a', 'c', 'd']);
    expect(cache.size).toBe(3);
  });

  it('honours a TTL', () => {
    let now = 1_000;
    const cache = growingLru<string, number>(10, { ttl: 100, ttlResolution: 0, perf: { now: () => now } });
    cache.set('a', 1);
    now += 50;
    expect(cache.get('a')).toBe(1);
    now += 60;
    expect(cache.get('a')).toBeUndefined();
  });

  it('allocates nothing per slot up front (a huge bound costs no memory)', () => {
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const caches = Array.from({ length: 20 }, () => growingLru<string, number>(1_000_000, { ttl: 1000 }));
    const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    expect(caches).toHaveLength(20);
    // lru-cache's `max: 1e6` would allocate ~24 MB per cache here.
    expect(after - before).toBeLessThan(16 * 1024 * 1024);
  });
});
