import { DeploymentUnavailable } from '../lib/deployments';
import { measure, pairedRatio } from '../lib/stats';
import { CacheHitMeasurement, cacheHitRows, measureCacheHit } from './cache-hit';
import { Scenario, ScenarioOutcome, TableRow } from './scenario';

/**
 * Scenario 1 again, per deployment mode. Embedded reuses scenario 1's numbers. Distributed runs
 * unless DINGO_BENCH_DISTRIBUTED=0, compared with the raw read speed of its own S3 server on the
 * same chunk objects; when its services (MariaDB, Redis) are not there it is reported as skipped
 * with the reason (a failure instead with DINGO_BENCH_DISTRIBUTED=1).
 */
export const modesScenario: Scenario = {
  id: 'modes',
  title: '7. Embedded vs distributed mode, cache-hit throughput (distributed vs raw S3 reads)',
  measures: (settings) => settings.distributed !== 'off',
  async run(ctx): Promise<ScenarioOutcome> {
    const embedded =
      (ctx.shared.get('cache-hit') as CacheHitMeasurement | undefined) ??
      (await measureCacheHit(ctx, 'embedded'));
    const rows: TableRow[] = embedded.perClients.map((s) => ({
      metric: `embedded, ${s.clients} client${s.clients > 1 ? 's' : ''}: MiB/s`,
      mirror: measure('MiB/s', s.mirrorMiBps),
      baselineName: s.baseline,
      baseline: measure('MiB/s', s.baselineMiBps),
      ratio: pairedRatio(s.mirrorMiBps, s.baselineMiBps),
      ratioMeaning: `mirror/${s.baseline}, higher is better`,
    }));
    const skipped = (reason: string): ScenarioOutcome => {
      rows.push({ metric: 'distributed, cache hit: MiB/s', note: `skipped: ${reason}` });
      return { rows, details: { distributed: { status: 'skipped', reason } } };
    };
    if (ctx.settings.distributed === 'off') return skipped('turned off (DINGO_BENCH_DISTRIBUTED=0)');
    let distributed: CacheHitMeasurement;
    try {
      distributed = await measureCacheHit(ctx, 'distributed');
    } catch (err) {
      if (err instanceof DeploymentUnavailable && ctx.settings.distributed === 'auto')
        return skipped(err.message);
      throw err;
    }
    rows.push(...cacheHitRows(distributed, 'distributed, '));
    for (const s of distributed.perClients) {
      const e = embedded.perClients.find((x) => x.clients === s.clients);
      if (!e) continue;
      rows.push({
        metric: `distributed vs embedded, ${s.clients} client${s.clients > 1 ? 's' : ''}: MiB/s`,
        mirror: measure('MiB/s', s.mirrorMiBps),
        baselineName: 'embedded',
        baseline: measure('MiB/s', e.mirrorMiBps),
        ratio: pairedRatio(s.mirrorMiBps, e.mirrorMiBps),
        ratioMeaning: 'distributed/embedded, higher is better (reps paired by index, not run back to back)',
      });
    }
    const { profiles, ...measurement } = distributed;
    return {
      rows,
      details: { distributed: { status: 'ok', measurement } },
      profiles: profiles.map((p, i) => ({
        label: `distributed cache hit, ${distributed.perClients[i].clients} client(s), first 8 s`,
        ...p,
      })),
    };
  },
};
