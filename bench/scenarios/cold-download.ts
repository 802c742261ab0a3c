import { waitForQuiet } from '../lib/cpu-time';
import { curlDownload, Transfer } from '../lib/download-clients';
import { MiB } from '../lib/settings';
import { measure, mibPerSecond, pairedRatio } from '../lib/stats';
import { BenchContext, resolvePath, Scenario, ScenarioOutcome } from './scenario';

/**
 * One big LFS file from the shaped upstream (capped per connection, with latency): a Hub client
 * downloading directly (one connection, following the 302 to the CDN) vs the same client through
 * a cold mirror started on a fresh data dir for each rep.
 */
export const coldDownloadScenario: Scenario = {
  id: 'cold',
  title: '2. Cold download (shaped upstream: direct, one connection, vs through a cold mirror)',
  async run(ctx: BenchContext): Promise<ScenarioOutcome> {
    const { settings, files, sim } = ctx;
    const file = files.cold;
    const direct: Transfer[] = [];
    const mirror: Transfer[] = [];
    const upstreamRatio: number[] = [];
    const upstreamRequests: number[] = [];
    let firstRepRequests: string[] = [];
    for (let rep = 0; rep < settings.reps; rep++) {
      const order = rep % 2 === 0 ? (['direct', 'mirror'] as const) : (['mirror', 'direct'] as const);
      for (const side of order) {
        if (side === 'direct') {
          const t = await curlDownload(sim.urls.shaped.hub + resolvePath(file), {
            followRedirects: true,
            expectBytes: file.size,
          });
          direct.push(t);
          ctx.log(
            `  rep ${rep + 1}/${settings.reps} direct: ${t.totalS.toFixed(2)} s (TTFB ${(t.ttfbS * 1000).toFixed(0)} ms)`,
          );
          continue;
        }
        const dataDir = ctx.freshDir('cold');
        await ctx.withMirror('embedded', 'shaped', dataDir, async (m) => {
          await waitForQuiet(m.pids);
          await sim.resetStats('shaped');
          const t = await curlDownload(m.url + resolvePath(file), { expectBytes: file.size });
          mirror.push(t);
          await waitForQuiet(m.pids);
          upstreamRatio.push((await sim.bytesServed('shaped', file.sha256)) / file.size);
          upstreamRequests.push(await sim.requestCount('shaped'));
          if (rep === 0) firstRepRequests = await sim.requests('shaped');
          ctx.log(
            `  rep ${rep + 1}/${settings.reps} mirror: ${t.totalS.toFixed(2)} s (TTFB ${(t.ttfbS * 1000).toFixed(0)} ms)`,
          );
        });
        ctx.removeDir(dataDir);
      }
    }
    const directS = direct.map((t) => t.totalS);
    const mirrorS = mirror.map((t) => t.totalS);
    const bw = settings.upstream.bandwidthPerConnection;
    return {
      rows: [
        {
          metric: 'total time, s',
          mirror: measure('s', mirrorS),
          baselineName: 'direct upstream',
          baseline: measure('s', directS),
          ratio: pairedRatio(directS, mirrorS),
          ratioMeaning: 'direct/mirror = speed-up, higher is better',
        },
        {
          metric: 'throughput, MiB/s',
          mirror: measure(
            'MiB/s',
            mirror.map((t) => mibPerSecond(t.bytes, t.totalS)),
          ),
          baselineName: 'direct upstream',
          baseline: measure(
            'MiB/s',
            direct.map((t) => mibPerSecond(t.bytes, t.totalS)),
          ),
          note: `upstream cap ${(bw / MiB).toFixed(0)} MiB/s per connection`,
        },
        {
          metric: 'TTFB of these downloads, ms',
          mirror: measure(
            'ms',
            mirror.map((t) => t.ttfbS * 1000),
          ),
          baselineName: 'direct upstream',
          baseline: measure(
            'ms',
            direct.map((t) => t.ttfbS * 1000),
          ),
          ratio: pairedRatio(
            mirror.map((t) => t.ttfbS),
            direct.map((t) => t.ttfbS),
          ),
          ratioMeaning: 'mirror/direct, lower is better',
        },
        {
          metric: 'upstream bytes / file size',
          mirror: measure('x', upstreamRatio),
          note: 'target 1.0 (each byte fetched once)',
        },
      ],
      details: {
        fileBytes: file.size,
        upstream: settings.upstream,
        direct,
        mirror,
        upstreamRequestsPerMirrorDownload: upstreamRequests,
        upstreamRequestsOfFirstMirrorDownload: firstRepRequests,
      },
    };
  },
};
