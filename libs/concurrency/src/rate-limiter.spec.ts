import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('holds a stream of takes to the configured rate', async () => {
    const limiter = new RateLimiter(1_000_000);
    const started = performance.now();
    for (let i = 0; i < 30; i++) await limiter.take(100_000); // 3 MB at 1 MB/s, 1 s of burst
    const seconds = (performance.now() - started) / 1000;
    expect(seconds).toBeGreaterThan(1.7);
    expect(seconds).toBeLessThan(3);
  });

  it('does not wait when unlimited', async () => {
    const limiter = new RateLimiter(0);
    const started = performance.now();
    for (let i = 0; i < 1000; i++) await limiter.take(1e9);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
