import { Gauge, Registry } from 'prom-client';
import { Mirror } from './mirror';

/** Upstream-side metrics of a mirror process (gateway, edge or sync-worker), read at scrape time. */
export function registerMirrorMetrics(mirror: Mirror, registry: Registry): void {
  const registers = [registry];
  const sampled = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  sampled(
    'dingo_upstream_bytes_total',
    'File bytes pulled from upstream',
    () => mirror.stats().upstreamBytes,
  );
  sampled(
    'dingo_chunks_pulled_total',
    'Chunks pulled from upstream and stored',
    () => mirror.stats().chunksPulled,
  );
  sampled(
    'dingo_pull_retries_total',
    'Upstream chunk transfers resumed after a failure',
    () => mirror.stats().pullRetries,
  );
  sampled(
    'dingo_blob_verification_failures_total',
    'Blobs whose bytes did not match their hash (purged)',
    () => mirror.stats().verificationFailures,
  );
  sampled(
    'dingo_scrub_chunks_checked_total',
    'Stored chunks re-checked by the background scrub',
    () => mirror.stats().scrub.chunksChecked,
  );
  sampled(
    'dingo_scrub_failures_total',
    'Stored chunks the scrub found rotted or missing (dropped)',
    () => mirror.stats().scrub.failures,
  );
  sampled(
    'dingo_scrub_passes_total',
    'Completed scrub passes over every stored chunk',
    () => mirror.stats().scrub.passes,
  );
  new Gauge({
    name: 'dingo_upstream_up',
    help: 'Whether each upstream origin is considered up',
    labelNames: ['origin'],
    registers,
    collect() {
      for (const h of mirror.upstreamHealth().origins) this.set({ origin: h.origin }, h.up ? 1 : 0);
    },
  });
}
