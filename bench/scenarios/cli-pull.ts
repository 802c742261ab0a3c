import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { pythonVenvsDir } from '@dingo/test-infra';
import { waitForQuiet } from '../lib/cpu-time';
import { ensureDebianTool } from '../lib/debian-tools';
import { sha256Of } from '../lib/download-clients';
import { MiB } from '../lib/settings';
import { measure, mibPerSecond, pairedRatio } from '../lib/stats';
import { BenchContext, resolvePath, Scenario, ScenarioOutcome, ScenarioSkipped } from './scenario';

const run = promisify(execFile);

const ARIA2 = {
  name: 'aria2c',
  envVar: 'DINGO_BENCH_ARIA2C',
  candidates: ['/usr/bin/aria2c', '/usr/local/bin/aria2c'],
  packages: ['aria2'],
};

type Side = 'dingo' | 'aria2c' | 'hf';

/** The one regular file under `dir` (hf and dingo lay out their own folders). */
function onlyFile(dir: string, name: string): string {
  const found = readdirSync(dir, { recursive: true, withFileTypes: true }).find(
    (e) => e.isFile() && e.name === name,
  );
  if (!found) throw new Error(`no ${name} under ${dir}`);
  return join(found.parentPath, found.name);
}

/**
 * Issue 10: one cold 1 GiB file from the shaped upstream (capped per connection, with latency),
 * fetched three ways into an empty directory:
 * - `dingo pull` through a mirror started cold for the rep (the mirror pulls from upstream, the
 *   CLI fetches parallel ranges from the mirror and checks the sha256);
 * - `aria2c -x16 -s16` straight from upstream (16 connections, following the 302 to the CDN): the
 *   fastest thing a user can do without a mirror;
 * - `hf download` (huggingface_hub 2, no hf_xet) straight from upstream: what users do today.
 * Times include each client's start-up; every file is checked against its sha256 afterwards.
 */
export const cliPullScenario: Scenario = {
  id: 'cli-pull',
  title: '10. dingo pull of a cold file vs aria2c -x16 and hf download, both direct from upstream',
  async run(ctx: BenchContext): Promise<ScenarioOutcome> {
    const { settings, sim } = ctx;
    const aria2c = ensureDebianTool(ARIA2, ctx.log);
    const hf = join(pythonVenvsDir(), 'hub2', 'bin', 'hf');
    try {
      await run(hf, ['version']);
    } catch (err) {
      throw new ScenarioSkipped(
        `no hf CLI at ${hf} (npm test's set-up creates it: bash scripts/test-prereqs.sh): ${(err as Error).message}`,
      );
    }
    const dingo = join(settings.repoRoot, 'apps', 'cli', 'bin', 'dingo.js');
    const repo = 'bench/cli-pull';
    const name = 'model.safetensors';
    const [file] = await sim.addRepo('shaped', {
      type: 'model',
      id: repo,
      commits: [{ files: [{ path: name, size: settings.cliPull.size }] }],
    });
    const upstream = sim.urls.shaped.hub;
    const seconds: Record<Side, number[]> = { dingo: [], aria2c: [], hf: [] };
    const upstreamRatio: number[] = [];

    const timed = async (side: Side, dest: string, fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      const s = (performance.now() - t0) / 1000;
      const got = await sha256Of(onlyFile(dest, name));
      if (got !== file.sha256) throw new Error(`${side}: sha256 ${got} is not the file's ${file.sha256}`);
      seconds[side].push(s);
      return s;
    };
    const sides: Record<Side, (rep: number) => Promise<number>> = {
      dingo: async () => {
        const dataDir = ctx.freshDir('cli-pull-mirror');
        const dest = ctx.freshDir('cli-pull-dingo');
        try {
          return await ctx.withMirror('embedded', 'shaped', dataDir, async (m) => {
            await waitForQuiet(m.pids);
            await sim.resetStats('shaped');
            const s = await timed('dingo', dest, () =>
              run(process.execPath, [dingo, 'pull', repo, '--local-dir', dest, '--quiet'], {
                env: { ...process.env, DINGO_ENDPOINT: m.url },
              }),
            );
            await waitForQuiet(m.pids);
            upstreamRatio.push((await sim.bytesServed('shaped', file.sha256)) / file.size);
            return s;
          });
        } finally {
          ctx.removeDir(dataDir);
          ctx.removeDir(dest);
        }
      },
      aria2c: async () => {
        const dest = ctx.freshDir('cli-pull-aria2c');
        try {
          return await timed('aria2c', dest, () =>
            run(aria2c, [
              '--no-conf',
              '-x16',
              '-s16',
              '-k1M',
              '--file-allocation=none',
              '--console-log-level=error',
              '--summary-interval=0',
              '--download-result=hide',
              '-d',
              dest,
              '-o',
              name,
              upstream + resolvePath(file),
            ]),
          );
        } finally {
          ctx.removeDir(dest);
        }
      },
      hf: async () => {
        const dest = ctx.freshDir('cli-pull-hf');
        const home = ctx.freshDir('cli-pull-hf-home');
        try {
          return await timed('hf', dest, () =>
            run(hf, ['download', repo, name, '--local-dir', dest], {
              env: {
                ...process.env,
                HF_ENDPOINT: upstream,
                HF_HOME: home,
                HF_HUB_DISABLE_TELEMETRY: '1',
                HF_HUB_DISABLE_PROGRESS_BARS: '1',
              },
            }),
          );
        } finally {
          ctx.removeDir(dest);
          ctx.removeDir(home);
        }
      },
    };
    const orders: Side[][] = [
      ['dingo', 'aria2c', 'hf'],
      ['hf', 'aria2c', 'dingo'],
      ['aria2c', 'dingo', 'hf'],
    ];
    for (let rep = 0; rep < settings.reps; rep++) {
      for (const side of orders[rep % orders.length]) {
        const s = await sides[side](rep);
        ctx.log(`  rep ${rep + 1}/${settings.reps} ${side}: ${s.toFixed(2)} s`);
      }
    }
    const speed = (side: Side) =>
      measure(
        'MiB/s',
        seconds[side].map((s) => mibPerSecond(file.size, s)),
      );
    const bw = settings.upstream.bandwidthPerConnection;
    return {
      rows: [
        {
          metric: 'dingo pull (cold mirror) vs aria2c -x16 direct: time, s',
          mirror: measure('s', seconds.dingo),
          baselineName: 'aria2c -x16',
          baseline: measure('s', seconds.aria2c),
          ratio: pairedRatio(seconds.aria2c, seconds.dingo),
          ratioMeaning: 'aria2c/dingo = speed-up, higher is better',
          note: `${file.size / MiB} MiB, upstream cap ${(bw / MiB).toFixed(0)} MiB/s per connection`,
        },
        {
          metric: 'dingo pull (cold mirror) vs hf download direct: time, s',
          mirror: measure('s', seconds.dingo),
          baselineName: 'hf download',
          baseline: measure('s', seconds.hf),
          ratio: pairedRatio(seconds.hf, seconds.dingo),
          ratioMeaning: 'hf/dingo = speed-up, higher is better',
        },
        { metric: 'dingo pull throughput, MiB/s', mirror: speed('dingo') },
        { metric: 'aria2c -x16 throughput, MiB/s', mirror: speed('aria2c') },
        { metric: 'hf download throughput, MiB/s', mirror: speed('hf') },
        {
          metric: 'upstream bytes / file size (dingo pull)',
          mirror: measure('x', upstreamRatio),
          note: 'target 1.0',
        },
      ],
      details: { fileBytes: file.size, seconds, upstreamRatio, upstream: settings.upstream },
    };
  },
};
