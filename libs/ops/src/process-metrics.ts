import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * prom-client's default gauges named `…_total`; promtool rejects that suffix on a gauge, and the
 * same counts are exported by type under the plain name (`dingo_nodejs_active_handles{type}`).
 */
const MISNAMED = ['active_handles', 'active_requests', 'active_resources'];

/** prom-client's process and Node.js metrics with the `dingo_` prefix, minus the misnamed ones. */
export function registerProcessMetrics(registry: Registry): void {
  // Idempotent: one registry can back several module instances (tests start gateways twice).
  if (registry.getSingleMetric('dingo_process_cpu_seconds_total')) return;
  collectDefaultMetrics({ register: registry, prefix: 'dingo_' });
  for (const name of MISNAMED) registry.removeSingleMetric(`dingo_nodejs_${name}_total`);
}
