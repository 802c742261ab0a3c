import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Mirror, MirrorStats } from './mirror';

/** Upstream time-to-headers buckets, seconds: loopback to a slow intercontinental link. */
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The mirror's own metrics, on any process that runs one (gateway, edge, sync-worker). Counters
 * mirror the totals the services keep (read at scrape time); upstream latency is observed as it
 * happens. Names follow Prometheus conventions: `_total` on counters only, units in the name.
 */
export function registerMirrorMetrics(mirror: Mirror, registry: Registry): void {
  const registers = [registry];
  const snapshot = () => mirror.stats();
  const counter = (name: string, help: string, read: (s: MirrorStats) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(snapshot()));
      },
    });
  new Gauge({
    name: 'dingo_pulls_in_flight',
    help: 'Chunk pulls from upstream running in this process',
    registers,
    collect() {
      this.set(snapshot().pullsInFlight);
    },
  });
  counter('dingo_upstream_bytes_total', 'File bytes pulled from upstream', (s) => s.upstreamBytes);
  counter('dingo_chunks_pulled_total', 'Chunks pulled from upstream and stored', (s) => s.chunksPulled);
  counter(
    'dingo_pull_retries_total',
    'Upstream chunk transfers resumed after a failure',
    (s) => s.pullRetries,
  );
  counter(
    'dingo_blob_verification_failures_total',
    'Blobs whose bytes did not hash to their name (purged, never served complete)',
    (s) => s.verificationFailures,
  );
  counter(
    'dingo_block_mismatches_total',
    'Stored blocks that did not match their digest when read (rot; pulled again)',
    (s) => s.blockMismatches,
  );
  counter(
    'dingo_scrub_chunks_checked_total',
    'Stored chunks re-checked by the background scrub',
    (s) => s.scrub.chunksChecked,
  );
  counter(
    'dingo_scrub_bytes_checked_total',
    'Bytes re-checked by the background scrub',
    (s) => s.scrub.bytesChecked,
  );
  counter(
    'dingo_scrub_failures_total',
    'Stored chunks the scrub found rotted or missing (dropped)',
    (s) => s.scrub.failures,
  );
  counter(
    'dingo_scrub_passes_total',
    'Completed scrub passes over every stored chunk',
    (s) => s.scrub.passes,
  );
  counter(
    'dingo_evicted_chunks_total',
    'Chunks evicted by the storage policy (quota, free-space floor)',
    (s) => s.storage.evictedChunks,
  );
  counter('dingo_evicted_bytes_total', 'Bytes freed by evictions', (s) => s.storage.evictedBytes);
  counter('dingo_demoted_chunks_total', 'Chunks moved to the cold tier', (s) => s.storage.demotedChunks);
  counter(
    'dingo_promoted_chunks_total',
    'Chunks moved back to the hot tier after repeated reads',
    (s) => s.storage.promotedChunks,
  );
  counter(
    'dingo_cold_compression_saved_bytes_total',
    'Bytes zstd saved on chunks moved to the cold tier',
    (s) => s.storage.compressionSavedBytes,
  );
  counter(
    'dingo_memory_cache_hits_total',
    'Chunk reads served from the memory LRU',
    (s) => s.memoryCache?.hits ?? 0,
  );
  counter(
    'dingo_memory_cache_misses_total',
    'Chunk reads the memory LRU could not serve',
    (s) => s.memoryCache?.misses ?? 0,
  );
  new Counter({
    name: 'dingo_jobs_total',
    help: 'Pull jobs finished by this process, by queue and outcome',
    labelNames: ['queue', 'outcome'],
    registers,
    collect() {
      this.reset();
      for (const [queue, counts] of Object.entries(snapshot().jobs)) {
        this.inc({ queue, outcome: 'completed' }, counts.completed);
        this.inc({ queue, outcome: 'failed' }, counts.failed);
      }
    },
  });
  new Counter({
    name: 'dingo_metadata_calls_total',
    help: 'Calls of the metadata store by this process, by method',
    labelNames: ['method'],
    registers,
    collect() {
      this.reset();
      for (const [method, calls] of Object.entries(snapshot().metadataCalls)) this.inc({ method }, calls);
    },
  });
  new Gauge({
    name: 'dingo_queue_jobs',
    help: 'Pull jobs waiting or running, per queue (cluster-wide in distributed mode)',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      for (const [queue, depth] of Object.entries(await mirror.queueDepths())) {
        this.set({ queue, state: 'waiting' }, depth.waiting);
        this.set({ queue, state: 'active' }, depth.active);
      }
    },
  });
  const store = (name: string, help: string, pick: (u: { bytes: number; chunks: number }) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['tier'],
      registers,
      async collect() {
        this.reset();
        for (const u of await mirror.storageUsage()) this.set({ tier: u.tier }, pick(u));
      },
    });
  store('dingo_store_bytes', 'Bytes stored per tier (on disk: compressed where it paid)', (u) => u.bytes);
  store('dingo_store_chunks', 'Chunks stored per tier', (u) => u.chunks);
  new Gauge({
    name: 'dingo_data_disk_free_bytes',
    help: "Free bytes on the data directory's file system",
    registers,
    collect() {
      this.set(mirror.dataDisk().freeBytes);
    },
  });
  new Gauge({
    name: 'dingo_data_disk_size_bytes',
    help: "Size of the data directory's file system",
    registers,
    collect() {
      this.set(mirror.dataDisk().sizeBytes);
    },
  });
  new Gauge({
    name: 'dingo_upstream_up',
    help: 'Whether each upstream origin is considered up',
    labelNames: ['origin'],
    registers,
    collect() {
      for (const h of snapshot().origins) this.set({ origin: h.origin }, h.up ? 1 : 0);
    },
  });
  const originGauge = (
    name: string,
    help: string,
    read: (o: MirrorStats['extraSources'][number] & { current?: boolean }) => number | null,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['origin'],
      registers,
      collect() {
        this.reset();
        const s = snapshot();
        for (const o of [...s.origins, ...s.extraSources]) {
          const value = read(o);
          if (value !== null) this.set({ origin: o.origin }, value);
        }
      },
    });
  originGauge('dingo_upstream_current', 'The upstream origin requests go to now (1)', (o) =>
    o.current === undefined ? null : o.current ? 1 : 0,
  );
  originGauge(
    'dingo_upstream_latency_seconds',
    'Moving average of time to headers per origin (requests and probes); absent until measured',
    (o) => (o.latencyMs === null ? null : o.latencyMs / 1000),
  );
  originGauge(
    'dingo_upstream_throughput_bytes_per_second',
    'Moving average of file bytes per second per origin or source while pulling; absent until measured',
    (o) => o.throughputBytesPerSec,
  );
  originGauge(
    'dingo_upstream_retry_in_seconds',
    'Seconds until an origin in trouble (backoff or Retry-After) is tried again; 0 when up',
    (o) => o.retryInMs / 1000,
  );
  new Counter({
    name: 'dingo_upstream_troubles_total',
    help: 'Troubles per upstream origin or source since start: unreachable, timeout, 429, 5xx',
    labelNames: ['origin', 'kind'],
    registers,
    collect() {
      this.reset();
      const s = snapshot();
      for (const o of [...s.origins, ...s.extraSources])
        for (const [kind, n] of Object.entries(o.troubles ?? {}))
          if (n) this.inc({ origin: o.origin, kind }, n);
    },
  });
  new Counter({
    name: 'dingo_upstream_source_bytes_total',
    help: 'File bytes pulled per source in multi-source pulls',
    labelNames: ['origin'],
    registers,
    collect() {
      this.reset();
      for (const [origin, bytes] of Object.entries(snapshot().bytesBySource)) this.inc({ origin }, bytes);
    },
  });
  const answered = new Histogram({
    name: 'dingo_upstream_response_seconds',
    help: 'Time to response headers from an upstream origin, by origin and status class',
    labelNames: ['origin', 'status'],
    buckets: UPSTREAM_BUCKETS,
    registers,
  });
  const failed = new Counter({
    name: 'dingo_upstream_errors_total',
    help: 'Upstream exchanges that failed, by origin and kind (unreachable, timeout, refused, 429, 5xx)',
    labelNames: ['origin', 'kind'],
    registers,
  });
  mirror.observeUpstream({
    answered(origin, seconds, status) {
      answered.observe({ origin, status: `${Math.floor(status / 100)}xx` }, seconds);
      if (status === 429 || status >= 500) failed.inc({ origin, kind: status === 429 ? '429' : '5xx' });
    },
    failed(origin, kind) {
      failed.inc({ origin, kind });
    },
  });
}
