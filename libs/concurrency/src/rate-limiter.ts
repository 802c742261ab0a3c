/**
 * A token bucket shared by every transfer of a process: `take(n)` waits until n bytes fit the
 * configured rate (with at most one second of burst). Rate 0 means unlimited.
 */
export class RateLimiter {
  private tokens: number;
  private last = performance.now();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly bytesPerSecond: number) {
    this.tokens = bytesPerSecond;
  }

  take(bytes: number): Promise<void> {
    if (this.bytesPerSecond <= 0) return Promise.resolve();
    // Serialise takers so large reads cannot starve small ones.
    this.queue = this.queue.then(() => this.wait(bytes));
    return this.queue;
  }

  private async wait(bytes: number): Promise<void> {
    const now = performance.now();
    this.tokens = Math.min(
      this.bytesPerSecond,
      this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond,
    );
    this.last = now;
    this.tokens -= bytes;
    if (this.tokens < 0) await new Promise((r) => setTimeout(r, (-this.tokens / this.bytesPerSecond) * 1000));
  }
}
