import { Counter, Registry } from 'prom-client';
import { Mirror, registerMirrorMetrics } from '@dingo/mirror';

/** Prometheus metrics of the Hub surface: bytes served, plus the mirror's upstream-side metrics. */
export class HubMetrics {
  readonly servedBytes: Counter;

  constructor(mirror: Mirror, registry: Registry) {
    this.servedBytes = new Counter({
      name: 'dingo_served_bytes_total',
      help: 'File bytes sent to clients',
      registers: [registry],
    });
    registerMirrorMetrics(mirror, registry);
  }
}
