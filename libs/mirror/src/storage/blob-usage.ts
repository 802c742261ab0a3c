import { Logger } from '@nestjs/common';
import { MetadataPort } from '@dingo/metadata-store';

/**
 * Which blobs are in use: read leases for bodies streaming right now (never evicted from under a
 * reader), and last-access times, batched in memory and written every few seconds (one write per
 * blob per flush, not one per request on the hot path). Eviction orders blobs by those times.
 */
export class BlobUsage {
  private readonly log = new Logger(BlobUsage.name);
  private readonly leases = new Map<string, number>();
  private touched = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly meta: MetadataPort,
    flushEveryMs = 5_000,
  ) {
    this.timer = setInterval(() => void this.flush(), flushEveryMs);
    this.timer.unref();
  }

  /** A reader starts streaming the blob; call the returned function when it is done. */
  hold(blobKey: string): () => void {
    this.touched.add(blobKey);
    this.leases.set(blobKey, (this.leases.get(blobKey) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.leases.get(blobKey) ?? 1) - 1;
      if (n <= 0) this.leases.delete(blobKey);
      else this.leases.set(blobKey, n);
    };
  }

  isHeld(blobKey: string): boolean {
    return this.leases.has(blobKey);
  }

  async flush(): Promise<void> {
    if (!this.touched.size) return;
    const keys = [...this.touched];
    this.touched = new Set();
    try {
      await this.meta.touchBlobs(keys, Date.now());
    } catch (err) {
      for (const k of keys) this.touched.add(k);
      this.log.warn(`last-access times not written: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
