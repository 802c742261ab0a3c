import { DeploymentUnavailable } from '../lib/deployments';
import { measure, pairedRatio } from '../lib/stats';
import { CacheHitMeasurement, measureCacheHit } from './cache-hit';
import { Scenario, ScenarioOutcome, TableRow } from './scenario';

/**
 * Scenario 1 again, per deployment mode. Embedded reuses scenario 1's numbers; distributed runs
 * only when DINGO_BENCH_DISTRIBUTED is set and the distributed apps exist (see
 * lib/deployments.ts#startDistributed), and is reported as skipped otherwise.
 */
export const modesScenario: Scenario = {
  id: 'modes',
  title: '7. Embedded vs distributed mode, cache-hit throughput',
  measures: (settings) => settings.distributed,
  async run(ctx): Promise<ScenarioOutcome> {
    const embedded =
      (ctx.shared.get('cache-hit') as CacheHitMeasurement | undefined) ??
      (await measureCacheHit(ctx, 'embedded'));
    const rows: TableRow[] = embedded.perClients.map((s) => ({
      metric: `embedded, ${s.clients} client${s.clients > 1 ? 's' : ''}: MiB/s`,
      mirror: measure('MiB/s', s.mirrorMiBps),
      baselineName: 'nginx',
      baseline: measure('MiB/s', s.nginxMiBps),
      ratio: pairedRatio(s.mirrorMiBps, s.nginxMiBps),
      ratioMeaning: 'mirror/nginx, higher is better',
    }));
    const skipped = (reason: string): ScenarioOutcome => {
      rows.push({ metric: 'distributed, cache hit: MiB/s', note: `skipped: ${reason}` });
      return { rows, details: { distributed: { status: 'skipped', reason } } };
    };
    if (!ctx.settings.distributed)
      return skipped('distributed mode not available (DINGO_BENCH_DISTRIBUTED not set)');
    let distributed: CacheHitMeasurement;
    try {
      distributed = await measureCacheHit(ctx, 'distributed');
    } catch (err) {
      if (err instanceof DeploymentUnavailable) return skipped(err.message);
      throw err;
    }
    for (const s of distributed.perClients) {
      const e = embedded.perClients.find((x) => x.clients === s.clients);
      rows.push({
        metric: `distributed, ${s.clients} client${s.clients > 1 ? 's' : ''}: MiB/s`,
        mirror: measure('MiB/s', s.mirrorMiBps),
        baselineName: 'embedded',
        baseline: e && measure('MiB/s', e.mirrorMiBps),
        ratio: e && pairedRatio(s.mirrorMiBps, e.mirrorMiBps),
        ratioMeaning: 'distributed/embedded, higher is better',
      });
    }
    return { rows, details: { distributed: { status: 'ok', measurement: distributed } } };
  },
};
