import { Gauge, Registry } from 'prom-client';
import { Mirror } from './mirror';

/** Upstream-side metrics of a mirror process (gateway, edge or sync-worker), read at scrape time. */
export function registerMirrorMetrics(mirror: Mirror, registry: Registry): void {
  const registers = [registry];
  const { puller, verifier, router } = mirror;
  const sampled = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  sampled('dingo_upstream_bytes_total', 'File bytes pulled from upstream', () => puller.stats.upstreamBytes);
  sampled(
    'dingo_chunks_pulled_total',
    'Chunks pulled from upstream and stored',
    () => puller.stats.chunksPulled,
  );
  sampled(
    'dingo_pull_retries_total',
    'Upstream chunk transfers resumed after a failure',
    () => puller.stats.retries,
  );
  sampled(
    'dingo_blob_verification_failures_total',
    'Blobs whose bytes did not match their hash (purged)',
    () => verifier.failures,
  );
  new Gauge({
    name: 'dingo_upstream_up',
    help: 'Whether each upstream origin is considered up',
    labelNames: ['origin'],
    registers,
    collect() {
      for (const h of router.health()) this.set({ origin: h.origin }, h.up ? 1 : 0);
    },
  });
}
