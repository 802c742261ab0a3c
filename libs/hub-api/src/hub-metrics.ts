import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { Mirror } from '@dingo/mirror';

/** Prometheus metrics for the mirror; upstream figures are read from the services at scrape time. */
export class HubMetrics {
  readonly registry = new Registry();
  readonly servedBytes = new Counter({
    name: 'dingo_served_bytes_total',
    help: 'File bytes sent to clients',
    registers: [this.registry],
  });

  constructor(mirror: Mirror) {
    collectDefaultMetrics({ register: this.registry, prefix: 'dingo_' });
    const { puller, verifier, router } = mirror;
    new Gauge({
      name: 'dingo_upstream_bytes_total',
      help: 'File bytes pulled from upstream',
      registers: [this.registry],
      collect() {
        this.set(puller.stats.upstreamBytes);
      },
    });
    new Gauge({
      name: 'dingo_chunks_pulled_total',
      help: 'Chunks pulled from upstream and stored',
      registers: [this.registry],
      collect() {
        this.set(puller.stats.chunksPulled);
      },
    });
    new Gauge({
      name: 'dingo_pull_retries_total',
      help: 'Upstream chunk transfers resumed after a failure',
      registers: [this.registry],
      collect() {
        this.set(puller.stats.retries);
      },
    });
    new Gauge({
      name: 'dingo_blob_verification_failures_total',
      help: 'Blobs whose bytes did not match their hash (purged)',
      registers: [this.registry],
      collect() {
        this.set(verifier.failures);
      },
    });
    new Gauge({
      name: 'dingo_upstream_up',
      help: 'Whether each upstream origin is considered up',
      labelNames: ['origin'],
      registers: [this.registry],
      collect() {
        for (const h of router.health()) this.set({ origin: h.origin }, h.up ? 1 : 0);
      },
    });
  }
}
