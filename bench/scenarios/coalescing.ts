import { cpuSeconds, waitForQuiet } from '../lib/cpu-time';
import { curlBatch, TransferBatch } from '../lib/download-clients';
import { profileWhile } from '../lib/profiling';
import { memoryOf, PeakRssWindow } from '../lib/rss';
import { measure, median, mibPerSecond, pairedRatio } from '../lib/stats';
import { BenchContext, resolvePath, Scenario, ScenarioOutcome } from './scenario';

export interface CoalescingMeasurement {
  peakRss: number[];
  idleRss: number[];
}

interface ColdBatch {
  batch: TransferBatch;
  upstreamRatio: number;
  upstreamRequests: number;
  gatewayCpuS: number;
  peakRss: number;
  idleRss: number;
}

/** `clients` curl processes on the coalescing file through a mirror started cold for them. */
async function coldBatch(ctx: BenchContext, clients: number): Promise<ColdBatch> {
  const { files, sim } = ctx;
  const file = files.coalesce;
  const dataDir = ctx.freshDir('coalesce');
  try {
    return await ctx.withMirror('embedded', 'shaped', dataDir, async (m) => {
      await waitForQuiet(m.pids);
      await sim.resetStats('shaped');
      const idleRss = m.pids.reduce((sum, pid) => sum + (memoryOf(pid)?.rss ?? 0), 0);
      const rss = new PeakRssWindow(m.pids);
      const cpuBefore = cpuSeconds(m.pids);
      let batch: TransferBatch;
      try {
        batch = await curlBatch(m.url + resolvePath(file), clients, { expectBytes: file.size });
      } finally {
        rss.stop();
      }
      const gatewayCpuS = cpuSeconds(m.pids) - cpuBefore;
      await waitForQuiet(m.pids);
      return {
        batch,
        upstreamRatio: (await sim.bytesServed('shaped', file.sha256)) / file.size,
        upstreamRequests: await sim.requestCount('shaped'),
        gatewayCpuS,
        peakRss: rss.stop().peak,
        idleRss,
      };
    });
  } finally {
    ctx.removeDir(dataDir);
  }
}

/**
 * N clients ask a cold mirror for the same file at the same moment: upstream should deliver each
 * byte once (coalesced pulls), and the N clients should be done about when one client alone would
 * be (the reference: the same file, one client, a cold mirror too).
 */
export const coalescingScenario: Scenario = {
  id: 'coalescing',
  title: '4. Coalescing (N clients start the same cold file at once, shaped upstream)',
  async run(ctx: BenchContext): Promise<ScenarioOutcome> {
    const { settings, files } = ctx;
    const clients = settings.coalesce.clients;
    const many: ColdBatch[] = [];
    const one: ColdBatch[] = [];
    for (let rep = 0; rep < settings.reps; rep++) {
      const order = rep % 2 === 0 ? [clients, 1] : [1, clients];
      for (const n of order) {
        const r = await coldBatch(ctx, n);
        (n === 1 ? one : many).push(r);
        ctx.log(
          `  rep ${rep + 1}/${settings.reps}: ${n} client(s) ${r.batch.windowS.toFixed(2)} s, upstream ${r.upstreamRatio.toFixed(3)}x the file`,
        );
      }
    }
    const profiles: NonNullable<ScenarioOutcome['profiles']> = [];
    const ratio = pairedRatio(
      many.map((r) => r.batch.windowS),
      one.map((r) => r.batch.windowS),
    ).median;
    if (
      settings.profile === 'always' ||
      (settings.profile === 'auto' && ratio > 1 / settings.profileBelowRatio)
    ) {
      ctx.log(
        `  profiling the mirror: ${clients} clients on a cold file (${clients} clients / 1 client = ${ratio.toFixed(2)})`,
      );
      const dataDir = ctx.freshDir('coalesce-profile');
      await ctx.withMirror('embedded', 'shaped', dataDir, async (m) => {
        await waitForQuiet(m.pids);
        const url = m.url + resolvePath(files.coalesce);
        const profile = await profileWhile(settings.repoRoot, m, `coalescing-${clients}c`, 10, (signal) =>
          curlBatch(url, clients, { expectBytes: files.coalesce.size, signal }),
        );
        profiles.push({ label: `coalescing, ${clients} clients, first 10 s`, ...profile });
      });
      ctx.removeDir(dataDir);
    }
    const memory: CoalescingMeasurement = {
      peakRss: many.map((r) => r.peakRss),
      idleRss: many.map((r) => r.idleRss),
    };
    ctx.shared.set('coalescing', memory);
    const manyS = many.map((r) => r.batch.windowS);
    const oneS = one.map((r) => r.batch.windowS);
    const slowest = many.map((r) => Math.max(...r.batch.transfers.map((t) => t.totalS)));
    return {
      profiles,
      rows: [
        {
          metric: 'upstream bytes / file size',
          mirror: measure(
            'x',
            many.map((r) => r.upstreamRatio),
          ),
          note: `target 1.0 (${clients} clients; without a mirror: ${clients}.0)`,
        },
        {
          metric: `total time, ${clients} clients, s`,
          mirror: measure('s', manyS),
          baselineName: '1 client, cold',
          baseline: measure('s', oneS),
          ratio: pairedRatio(manyS, oneS),
          ratioMeaning: `${clients} clients / 1 client, lower is better (1.0 = fan-out is free)`,
          note: `slowest client ${median(slowest).toFixed(2)} s`,
        },
        {
          metric: 'aggregate MiB/s to clients',
          mirror: measure(
            'MiB/s',
            many.map((r) => mibPerSecond(r.batch.bytes, r.batch.windowS)),
          ),
          baselineName: '1 client, cold',
          baseline: measure(
            'MiB/s',
            one.map((r) => mibPerSecond(r.batch.bytes, r.batch.windowS)),
          ),
        },
      ],
      details: {
        fileBytes: files.coalesce.size,
        clients,
        many: many.map(({ batch, ...r }) => ({
          ...r,
          windowS: batch.windowS,
          clientTotalsS: batch.transfers.map((t) => t.totalS),
        })),
        one: one.map(({ batch, ...r }) => ({
          ...r,
          windowS: batch.windowS,
          ttfbS: batch.transfers[0].ttfbS,
        })),
      },
    };
  },
};
