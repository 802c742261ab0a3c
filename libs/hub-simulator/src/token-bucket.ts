import { setTimeout as sleep } from 'node:timers/promises';

const TICK_MS = 10;

/**
 * Paces one connection's body bytes at `rate` bytes/s with ~10 ms granularity. Refill uses the real
 * elapsed time, and the bucket holds up to 50 ms of tokens so late timers do not lose throughput.
 */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();
  private readonly capacity: number;

  constructor(private readonly rate: number) {
    this.capacity = Math.max(1, rate * 0.05);
    this.tokens = Math.max(1, (rate * TICK_MS) / 1000);
  }

  /** Waits until at least one byte may be sent; returns how many of `want` bytes may go now. */
  async take(want: number): Promise<number> {
    for (;;) {
      this.refill();
      if (this.tokens >= 1) {
        const n = Math.max(1, Math.min(want, Math.floor(this.tokens)));
        this.tokens -= n;
        return n;
      }
      const needed = Math.min(want, Math.max(1, (this.rate * TICK_MS) / 1000)) - this.tokens;
      await sleep(Math.max(TICK_MS, Math.ceil((needed / this.rate) * 1000)));
    }
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}
