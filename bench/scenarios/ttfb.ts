import { waitForQuiet } from '../lib/cpu-time';
import { timeToFirstByte } from '../lib/download-clients';
import { measure, median, pairedRatio } from '../lib/stats';
import { BenchContext, resolvePath, Scenario, ScenarioOutcome } from './scenario';

/**
 * Time to first byte of a file the mirror has never seen (fresh data dir each rep, a distinct file
 * per probe) vs the same GET straight to upstream (hub 302 -> CDN). The mirror has to ask
 * upstream what the file is before it can answer, so some added latency is expected; this
 * measures how much.
 */
export const ttfbScenario: Scenario = {
  id: 'ttfb',
  title: '3. Time to first byte, cold file (shaped upstream)',
  async run(ctx: BenchContext): Promise<ScenarioOutcome> {
    const { settings, files, sim } = ctx;
    const mirrorMs: number[] = [];
    const directMs: number[] = [];
    const probes: Array<{ rep: number; file: string; mirrorMs: number; directMs: number }> = [];
    for (let rep = 0; rep < settings.reps; rep++) {
      const dataDir = ctx.freshDir('ttfb');
      await ctx.withMirror('embedded', 'shaped', dataDir, async (m) => {
        await waitForQuiet(m.pids);
        const repMirror: number[] = [];
        const repDirect: number[] = [];
        for (const [i, file] of files.ttfb.entries()) {
          const path = resolvePath(file);
          const mirrorFirst = (rep + i) % 2 === 0;
          // Each probe on a quiet machine: the pull a mirror probe starts goes on after its hang-up.
          const probe = async (url: string) => {
            await waitForQuiet([...m.pids, sim.pid]);
            return timeToFirstByte(url);
          };
          let mirror = 0;
          if (mirrorFirst) mirror = await probe(m.url + path);
          const direct = await probe(sim.urls.shaped.hub + path);
          if (!mirrorFirst) mirror = await probe(m.url + path);
          repMirror.push(mirror * 1000);
          repDirect.push(direct * 1000);
          probes.push({ rep, file: file.path, mirrorMs: mirror * 1000, directMs: direct * 1000 });
        }
        mirrorMs.push(median(repMirror));
        directMs.push(median(repDirect));
        ctx.log(
          `  rep ${rep + 1}/${settings.reps}: mirror ${median(repMirror).toFixed(0)} ms, direct ${median(repDirect).toFixed(0)} ms (medians of ${files.ttfb.length} probes)`,
        );
        // The pulls the probes started finish in the background; let them, so the next mirror starts on a quiet machine.
        await waitForQuiet(m.pids);
      });
      ctx.removeDir(dataDir);
    }
    return {
      rows: [
        {
          metric: 'TTFB, ms (median of probes)',
          mirror: measure('ms', mirrorMs),
          baselineName: 'direct upstream',
          baseline: measure('ms', directMs),
          ratio: pairedRatio(mirrorMs, directMs),
          ratioMeaning: 'mirror/direct, lower is better',
          note: `upstream latency ${settings.upstream.latencyMs} ms per response`,
        },
        {
          metric: 'TTFB added by the mirror, ms',
          mirror: measure(
            'ms',
            mirrorMs.map((v, i) => v - directMs[i]),
          ),
        },
      ],
      details: { probesPerRep: files.ttfb.length, fileBytes: files.ttfb[0]?.size, probes },
    };
  },
};
