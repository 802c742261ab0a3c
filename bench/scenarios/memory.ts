import { MiB } from '../lib/settings';
import { measure } from '../lib/stats';
import type { CacheHitMeasurement } from './cache-hit';
import type { CoalescingMeasurement } from './coalescing';
import { Scenario, ScenarioOutcome, ScenarioSkipped, TableRow } from './scenario';

const toMiB = (bytes: number[]) => bytes.map((b) => b / MiB);

/** Peak RSS of the gateway while it served scenarios 1 and 4 (measured there, reported here). */
export const memoryScenario: Scenario = {
  id: 'memory',
  title: '6. Memory: gateway peak RSS during scenarios 1 and 4',
  measures: () => false,
  async run(ctx): Promise<ScenarioOutcome> {
    const hit = ctx.shared.get('cache-hit') as CacheHitMeasurement | undefined;
    const coalescing = ctx.shared.get('coalescing') as CoalescingMeasurement | undefined;
    if (!hit && !coalescing) throw new ScenarioSkipped('needs scenario 1 or 4 in the same run');
    const rows: TableRow[] = [];
    if (hit) {
      rows.push({
        metric: 'idle RSS after start (warm cache), MiB',
        mirror: measure('MiB', toMiB([hit.idleRssAfterStart])),
      });
      for (const s of hit.perClients) {
        rows.push({
          metric: `cache hit, ${s.clients} client${s.clients > 1 ? 's' : ''}: peak RSS, MiB`,
          mirror: measure('MiB', toMiB(s.mirrorPeakRss)),
          baselineName: 'nginx (master+workers)',
          baseline: measure('MiB', toMiB(s.baselinePeakRss)),
        });
      }
    }
    if (coalescing) {
      rows.push({
        metric: `coalescing, ${ctx.settings.coalesce.clients} clients: peak RSS, MiB`,
        mirror: measure('MiB', toMiB(coalescing.peakRss)),
        note: `idle before: ${measure('MiB', toMiB(coalescing.idleRss)).median.toFixed(0)} MiB`,
      });
    }
    return {
      rows,
      details: {
        source:
          'VmHWM of the gateway process, reset (clear_refs 5) at the start of each window; VmRSS sampled every 50 ms as a fallback',
      },
    };
  },
};
