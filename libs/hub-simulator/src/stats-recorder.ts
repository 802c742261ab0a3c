import type { SimOrigin, SimRequestRecord, SimStats } from './types';

/** Xorb bytes are counted under this prefix + the xorb hash in place of a sha256. */
export const XORB_CONTENT_PREFIX = 'xorb-';

interface ServedBytes {
  sha256: string;
  /** Repo file path; undefined for CDN bytes (the CDN only knows the sha256). */
  path?: string;
  bytes: number;
}

/** Counts requests and file bytes written to sockets. */
export class StatsRecorder implements SimStats {
  requests: SimRequestRecord[] = [];
  private served = new Map<string, ServedBytes>();

  /** `pathsOf(sha256)`: every repo file path whose content has that sha256 (to attribute CDN bytes). */
  constructor(private readonly pathsOf: (sha256: string) => Set<string>) {}

  record(entry: SimRequestRecord): SimRequestRecord {
    this.requests.push(entry);
    return entry;
  }

  addBytes(sha256: string, path: string | undefined, bytes: number): void {
    const key = `${sha256}\0${path ?? ''}`;
    const entry = this.served.get(key);
    if (entry) entry.bytes += bytes;
    else this.served.set(key, { sha256, path, bytes });
  }

  bytesServed(filter: { sha256?: string; path?: string } = {}): number {
    let total = 0;
    for (const e of this.served.values()) {
      if (filter.sha256 !== undefined && e.sha256 !== filter.sha256) continue;
      if (filter.path !== undefined) {
        const samePath =
          e.path !== undefined ? e.path === filter.path : this.pathsOf(e.sha256).has(filter.path);
        if (!samePath) continue;
      }
      total += e.bytes;
    }
    return total;
  }

  xetBytesServed(filter: { xorb?: string } = {}): number {
    let total = 0;
    for (const e of this.served.values()) {
      if (!e.sha256.startsWith(XORB_CONTENT_PREFIX)) continue;
      if (filter.xorb !== undefined && e.sha256 !== `${XORB_CONTENT_PREFIX}${filter.xorb}`) continue;
      total += e.bytes;
    }
    return total;
  }

  count(filter: { method?: string; origin?: SimOrigin; pathIncludes?: string }): number {
    return this.requests.filter(
      (r) =>
        (filter.method === undefined || r.method === filter.method.toUpperCase()) &&
        (filter.origin === undefined || r.origin === filter.origin) &&
        (filter.pathIncludes === undefined || r.path.includes(filter.pathIncludes)),
    ).length;
  }

  reset(): void {
    this.requests = [];
    this.served = new Map();
  }
}
