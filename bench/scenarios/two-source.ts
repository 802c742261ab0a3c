import { waitForQuiet } from '../lib/cpu-time';
import { LAUNCHERS } from '../lib/deployments';
import { curlDownload, Transfer } from '../lib/download-clients';
import { MiB } from '../lib/settings';
import { SimInstanceName } from '../lib/simulator';
import { measure, mibPerSecond, pairedRatio } from '../lib/stats';
import { BenchContext, resolvePath, Scenario, ScenarioOutcome } from './scenario';

/**
 * Issue 13.2: one LFS file served by two upstreams (the same repo on two simulators, each capped
 * for all its connections together, at different speeds). A cold mirror with only the faster
 * upstream vs a cold mirror with both, which pulls every chunk from both in parallel, by measured
 * throughput. Ideal ratio: (fast + slow) / fast.
 */
export const twoSourceScenario: Scenario = {
  id: 'two-source',
  title: '14. Two-source cold download (two capped upstreams: the faster alone vs both in parallel)',
  async run(ctx: BenchContext): Promise<ScenarioOutcome> {
    const { settings, sim } = ctx;
    const { size, fastBytesPerSec, slowBytesPerSec } = settings.twoSource;
    const spec = {
      type: 'model' as const,
      id: 'bench/two-source',
      commits: [{ files: [{ path: 'model.safetensors', size }] }],
    };
    const [file] = await sim.addRepo('uplinkFast', spec);
    const [twin] = await sim.addRepo('uplinkSlow', spec);
    if (twin.sha256 !== file.sha256) throw new Error('the two upstreams do not serve the same blob');
    const instances: SimInstanceName[] = ['uplinkFast', 'uplinkSlow'];
    const alone: Transfer[] = [];
    const both: Transfer[] = [];
    const slowShare: number[] = [];
    const upstreamRatio: number[] = [];
    const download = async (upstreams: SimInstanceName[]): Promise<Transfer> => {
      const dataDir = ctx.freshDir('two-source');
      const mirror = await LAUNCHERS.embedded({
        repoRoot: settings.repoRoot,
        upstream: upstreams.map((u) => sim.urls[u].hub).join(','),
        trustedOrigins: upstreams.map((u) => sim.urls[u].cdn),
        dataDir,
        env: { DINGO_PROBE_INTERVAL_SECONDS: '0' },
      });
      try {
        await waitForQuiet(mirror.pids);
        for (const i of instances) await sim.resetStats(i);
        const t = await curlDownload(mirror.url + resolvePath(file), { expectBytes: file.size });
        const fromFast = await sim.bytesServed('uplinkFast', file.sha256);
        const fromSlow = await sim.bytesServed('uplinkSlow', file.sha256);
        if (upstreams.length > 1) {
          slowShare.push(fromSlow / (fromFast + fromSlow));
          upstreamRatio.push((fromFast + fromSlow) / file.size);
        }
        return t;
      } finally {
        await mirror.stop();
        ctx.removeDir(dataDir);
      }
    };
    for (let rep = 0; rep < settings.reps; rep++) {
      const order = rep % 2 === 0 ? (['alone', 'both'] as const) : (['both', 'alone'] as const);
      for (const side of order) {
        const t = await download(side === 'alone' ? ['uplinkFast'] : instances);
        (side === 'alone' ? alone : both).push(t);
        ctx.log(
          `  rep ${rep + 1}/${settings.reps} ${side}: ${t.totalS.toFixed(2)} s (${mibPerSecond(t.bytes, t.totalS).toFixed(1)} MiB/s)`,
        );
      }
    }
    const aloneS = alone.map((t) => t.totalS);
    const bothS = both.map((t) => t.totalS);
    const ideal = (fastBytesPerSec + slowBytesPerSec) / fastBytesPerSec;
    return {
      rows: [
        {
          metric: 'cold download, s',
          mirror: measure('s', bothS),
          baselineName: 'faster source alone',
          baseline: measure('s', aloneS),
          ratio: pairedRatio(aloneS, bothS),
          ratioMeaning: `speed with both / faster alone, higher is better (ideal ${ideal.toFixed(2)})`,
        },
        {
          metric: 'throughput, MiB/s',
          mirror: measure(
            'MiB/s',
            both.map((t) => mibPerSecond(t.bytes, t.totalS)),
          ),
          baselineName: 'faster source alone',
          baseline: measure(
            'MiB/s',
            alone.map((t) => mibPerSecond(t.bytes, t.totalS)),
          ),
          note: `caps ${(fastBytesPerSec / MiB).toFixed(0)} + ${(slowBytesPerSec / MiB).toFixed(0)} MiB/s (all connections)`,
        },
        {
          metric: 'share of bytes from the slower source',
          mirror: measure('x', slowShare),
          note: `by throughput: ${(slowBytesPerSec / (fastBytesPerSec + slowBytesPerSec)).toFixed(2)}`,
        },
        {
          metric: 'upstream bytes / file size (both)',
          mirror: measure('x', upstreamRatio),
          note: 'target 1.0 (a stolen piece costs the bytes in flight)',
        },
      ],
      details: { fileBytes: file.size, settings: settings.twoSource, alone, both },
    };
  },
};
