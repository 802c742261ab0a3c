/** Runs one `work` per key at a time; concurrent callers share its promise. */
export class SingleFlight<T> {
  private readonly inflight = new Map<string, Promise<T>>();

  run(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.inflight.get(key);
    if (existing) return existing;
    const p = work().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** Resolves when every run in flight now has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inflight.values()]);
  }

  has(key: string): boolean {
    return this.inflight.has(key);
  }
}
