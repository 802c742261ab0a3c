import { cpuSeconds, waitForQuiet } from '../lib/cpu-time';
import { ProfileSummary } from '../lib/cpu-profile';
import { MirrorDeployment } from '../lib/deployments';
import { curlDownload, Transfer } from '../lib/download-clients';
import { profileWhile } from '../lib/profiling';
import { GiB, MiB } from '../lib/settings';
import { measure, mibPerSecond, pairedRatio } from '../lib/stats';
import { BenchContext, resolvePath, Scenario, ScenarioOutcome, TableRow } from './scenario';

/** The two chunk sizes compared: many small chunks vs the default. */
const VARIANTS = [
  { name: '1MiB', chunkSize: MiB },
  { name: '16MiB', chunkSize: 16 * MiB },
] as const;
type Variant = (typeof VARIANTS)[number]['name'];

/** Goal of issue 11: the 1 MiB-chunk download within 1.2x the time of the 16 MiB-chunk one. */
const GOAL_RATIO = 1.2;

/** `dingo_metadata_calls_total` per method, from the mirror's Prometheus text. */
async function metadataCalls(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const calls: Record<string, number> = {};
  for (const m of text.matchAll(/^dingo_metadata_calls_total\{method="(\w+)"\} (\S+)$/gm))
    calls[m[1]] = Number(m[2]);
  return calls;
}

interface Run {
  transfer: Transfer;
  cpuPerGiB: number;
  upstreamRatio: number;
  metadataCallsPerChunk: number;
  /** Calls during the download, per method of the metadata port. */
  metadataCalls: Record<string, number>;
  chunks: number;
}

/**
 * Issue 11: a big cold file (4 GiB) through a fresh gateway cut into 1 MiB chunks (4096 of them)
 * vs the default 16 MiB (256), from the unshaped upstream, so what differs is the mirror's work per
 * chunk: metadata, staging files, upstream requests. Each rep runs both on fresh data dirs, in
 * alternating order; the ratio is the 1 MiB time over the 16 MiB time (goal <= 1.2).
 */
export const bigFileScenario: Scenario = {
  id: 'big-file',
  title: '15. A big cold file (4 GiB): 1 MiB chunks vs 16 MiB chunks',
  async run(ctx: BenchContext): Promise<ScenarioOutcome> {
    const { settings, sim } = ctx;
    const [file] = await sim.addRepo('fast', {
      type: 'model',
      id: 'bench/big-file',
      commits: [{ files: [{ path: 'model.safetensors', size: settings.bigFile.size }] }],
    });
    const gib = file.size / GiB;
    const runs: Record<Variant, Run[]> = { '1MiB': [], '16MiB': [] };

    const withGateway = async <T>(
      v: (typeof VARIANTS)[number],
      fn: (m: MirrorDeployment) => Promise<T>,
    ): Promise<T> => {
      const dataDir = ctx.freshDir(`big-file-${v.name}`);
      const m = await ctx.startMirror('embedded', 'fast', dataDir, { DINGO_CHUNK_SIZE: String(v.chunkSize) });
      try {
        return await fn(m);
      } finally {
        await m.stop();
        ctx.removeDir(dataDir);
      }
    };

    // Two 4 GiB cold pulls per rep: at most 2 reps keep the scenario near 3 minutes.
    const reps = Math.min(settings.reps, 2);
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const v of order) {
        const run = await withGateway(v, async (m) => {
          await waitForQuiet(m.pids);
          await sim.resetStats('fast');
          const calls0 = await metadataCalls(m.url);
          const cpu0 = cpuSeconds(m.pids);
          const transfer = await curlDownload(m.url + resolvePath(file), { expectBytes: file.size }).catch(
            (err: Error) => {
              throw new Error(`${err.message}\ngateway (${v.name} chunks) said:\n${m.output()}`);
            },
          );
          // Verification and storage rounds after the last byte are part of the pull's cost.
          await waitForQuiet(m.pids);
          const cpuS = cpuSeconds(m.pids) - cpu0;
          const chunks = Math.ceil(file.size / v.chunkSize);
          const calls = Object.entries(await metadataCalls(m.url)).map(
            ([method, n]) => [method, n - (calls0[method] ?? 0)] as const,
          );
          return {
            transfer,
            cpuPerGiB: cpuS / gib,
            upstreamRatio: (await sim.bytesServed('fast', file.sha256)) / file.size,
            metadataCallsPerChunk: calls.reduce((sum, [, n]) => sum + n, 0) / chunks,
            metadataCalls: Object.fromEntries(calls),
            chunks,
          };
        });
        runs[v.name].push(run);
        ctx.log(
          `  rep ${rep + 1}/${reps} ${v.name} chunks: ${run.transfer.totalS.toFixed(1)} s, ` +
            `${mibPerSecond(file.size, run.transfer.totalS).toFixed(0)} MiB/s, ${run.cpuPerGiB.toFixed(2)} CPU-s/GiB, ` +
            `${run.metadataCallsPerChunk.toFixed(1)} metadata calls/chunk`,
        );
      }
    }

    const seconds = (v: Variant) => runs[v].map((r) => r.transfer.totalS);
    const ratio = pairedRatio(seconds('1MiB'), seconds('16MiB'));
    const profiles: Array<ProfileSummary & { label: string }> = [];
    if (settings.profile === 'always' || (settings.profile === 'auto' && ratio.median > GOAL_RATIO)) {
      // Both, so the profiles show what the extra chunks cost.
      for (const v of VARIANTS) {
        ctx.log(`  profiling a cold download in ${v.name} chunks (ratio ${ratio.median.toFixed(2)})`);
        const profile = await withGateway(v, async (m) => {
          await waitForQuiet(m.pids);
          return profileWhile(settings.repoRoot, m, `big-file-${v.name}`, 10, (signal) =>
            curlDownload(m.url + resolvePath(file), { expectBytes: file.size, signal }),
          );
        });
        profiles.push({ label: `cold download in ${v.name} chunks, first 10 s`, ...profile });
      }
    }

    // One row: the same measure of both chunk sizes side by side.
    const sideBySide = (metric: string, unit: string, pick: (r: Run) => number, note?: string): TableRow => ({
      metric,
      mirror: measure(unit, runs['1MiB'].map(pick)),
      baselineName: '16 MiB chunks',
      baseline: measure(unit, runs['16MiB'].map(pick)),
      ...(note && { note }),
    });
    return {
      rows: [
        {
          metric: 'cold download time, s',
          mirror: measure('s', seconds('1MiB')),
          baselineName: '16 MiB chunks',
          baseline: measure('s', seconds('16MiB')),
          ratio,
          ratioMeaning: `1 MiB / 16 MiB chunks, lower is better (goal <= ${GOAL_RATIO})`,
          note: `${gib.toFixed(gib < 1 ? 2 : 0)} GiB file, unshaped upstream, one curl client`,
        },
        sideBySide('cold download throughput, MiB/s', 'MiB/s', (r) =>
          mibPerSecond(file.size, r.transfer.totalS),
        ),
        sideBySide('gateway CPU per GiB pulled, s', 's', (r) => r.cpuPerGiB),
        sideBySide(
          'metadata store calls per chunk',
          'calls',
          (r) => r.metadataCallsPerChunk,
          `dingo_metadata_calls_total over ${runs['1MiB'][0]?.chunks} and ${runs['16MiB'][0]?.chunks} chunks: the same when per-chunk work is constant`,
        ),
        sideBySide(
          'upstream bytes / file size',
          'x',
          (r) => r.upstreamRatio,
          'target 1.0 (each byte fetched once)',
        ),
      ],
      details: { fileBytes: file.size, runs },
      profiles,
    };
  },
};
