/**
 * Block-sized buffers reused across cache-hit reads. Streaming through a fresh buffer per read
 * lets buffers outlive a scavenge, and V8 then runs a full mark-compact every few MiB (external
 * memory pressure): measured 3–5 CPU-s/GiB instead of ~1 once a gateway had been up a few
 * seconds. A buffer is given back only after the socket has taken its bytes, so a reused buffer
 * never holds bytes still queued for a client.
 */
export class BlockBuffers {
  private readonly free: Buffer[] = [];

  constructor(
    readonly size: number,
    /** Buffers kept for reuse at most (the rest are left to the GC). */
    private readonly keep: number,
  ) {}

  take(size: number): Buffer {
    if (size !== this.size) return Buffer.allocUnsafeSlow(size);
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  give(buf: Buffer): void {
    if (buf.length === this.size && buf.byteOffset === 0 && this.free.length < this.keep) this.free.push(buf);
  }

  get pooled(): number {
    return this.free.length;
  }
}
