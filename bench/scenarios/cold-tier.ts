import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds, waitForQuiet } from '../lib/cpu-time';
import { MirrorDeployment } from '../lib/deployments';
import { curlDownload } from '../lib/download-clients';
import { GiB, MiB } from '../lib/settings';
import { measure, mibPerSecond, pairedRatio } from '../lib/stats';
import { BenchContext, resolvePath, Scenario, ScenarioOutcome } from './scenario';

/** The two cold tiers compared: compressed where zstd saves 10 % (the default), and never compressed. */
const VARIANTS = [
  { name: 'zstd', minSaving: '0.1' },
  { name: 'plain', minSaving: '0.99' },
] as const;
type Variant = (typeof VARIANTS)[number]['name'];

/** Reads `name{labels} value` from the mirror's Prometheus text. */
async function metric(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** Waits until the storage policy moved every chunk of the file to the cold tier. */
async function waitForDemotion(m: MirrorDeployment, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const hot = await metric(m.url, 'dingo_store_chunks', '{tier="hot"}');
    const cold = await metric(m.url, 'dingo_store_chunks', '{tier="cold"}');
    if (hot === 0 && cold > 0) return;
    await sleep(500);
  }
  throw new Error(`${m.url}: chunks were not demoted to the cold tier within ${timeoutMs / 1000} s`);
}

/**
 * Issue 12: reads served from the cold tier, with the chunks stored zstd-compressed (weight-like
 * bytes, zstd saves ~14 %) vs stored plain. Two mirrors hold the same file, pulled once and then
 * demoted entirely (hot tier of 1 byte, no promotion during the run); each rep downloads it from
 * both, back to back. The cold directory sits in the page cache, so what differs is the cost of
 * decompression on the read path, not the disk.
 */
export const coldTierScenario: Scenario = {
  id: 'cold-tier',
  title: '9. Cold-tier read throughput: zstd-compressed chunks vs plain chunks',
  async run(ctx: BenchContext): Promise<ScenarioOutcome> {
    const { settings, sim } = ctx;
    const [file] = await sim.addRepo('fast', {
      type: 'model',
      id: 'bench/cold-tier',
      commits: [{ files: [{ path: 'model.safetensors', size: settings.coldTier.size, texture: 'bf16' }] }],
    });
    const url = (m: MirrorDeployment) => m.url + resolvePath(file);
    const mirrors = new Map<Variant, MirrorDeployment>();
    const dirs: string[] = [];
    try {
      for (const v of VARIANTS) {
        const dataDir = ctx.freshDir(`cold-tier-${v.name}`);
        dirs.push(dataDir);
        const m = await ctx.startMirror('embedded', 'fast', dataDir, {
          DINGO_COLD_DIR: join(dataDir, 'cold'),
          DINGO_HOT_TIER_SIZE: '1',
          DINGO_COLD_MIN_SAVING: v.minSaving,
          DINGO_PROMOTE_AFTER_READS: '1000000',
          DINGO_STORAGE_CHECK_SECONDS: '1',
          DINGO_EVICTION_GRACE_SECONDS: '0',
        });
        mirrors.set(v.name, m);
        await curlDownload(url(m), { expectBytes: file.size });
        await waitForDemotion(m);
        await waitForQuiet(m.pids);
        const stored = await metric(m.url, 'dingo_store_bytes', '{tier="cold"}');
        ctx.log(`  ${v.name}: ${(stored / MiB).toFixed(0)} MiB on the cold tier for ${file.size / MiB} MiB`);
      }
      const mibps: Record<Variant, number[]> = { zstd: [], plain: [] };
      const cpuPerGiB: Record<Variant, number[]> = { zstd: [], plain: [] };
      for (let rep = 0; rep < settings.reps; rep++) {
        const order: Variant[] = rep % 2 === 0 ? ['zstd', 'plain'] : ['plain', 'zstd'];
        for (const name of order) {
          const m = mirrors.get(name)!;
          await waitForQuiet(m.pids);
          const cpu0 = cpuSeconds(m.pids);
          const t = await curlDownload(url(m), { expectBytes: file.size });
          cpuPerGiB[name].push((cpuSeconds(m.pids) - cpu0) / (file.size / GiB));
          mibps[name].push(mibPerSecond(t.bytes, t.totalS));
          ctx.log(`  rep ${rep + 1}/${settings.reps} ${name}: ${mibps[name].at(-1)!.toFixed(0)} MiB/s`);
        }
      }
      const storedBytes: Record<string, number> = {};
      for (const [name, m] of mirrors) {
        storedBytes[name] = await metric(m.url, 'dingo_store_bytes', '{tier="cold"}');
        if ((await metric(m.url, 'dingo_store_chunks', '{tier="hot"}')) !== 0)
          throw new Error(`${name}: chunks were promoted during the run; the reads were not all cold`);
      }
      return {
        rows: [
          {
            metric: 'cold-tier read, MiB/s',
            mirror: measure('MiB/s', mibps.zstd),
            baselineName: 'plain cold tier',
            baseline: measure('MiB/s', mibps.plain),
            ratio: pairedRatio(mibps.zstd, mibps.plain),
            ratioMeaning: 'zstd/plain, higher is better',
            note: `${file.size / MiB} MiB of weight-like bytes, one curl client`,
          },
          {
            metric: 'mirror CPU per GiB read from the cold tier, s',
            mirror: measure('s', cpuPerGiB.zstd),
            baselineName: 'plain cold tier',
            baseline: measure('s', cpuPerGiB.plain),
          },
          {
            metric: 'cold-tier bytes on disk / file size',
            mirror: measure('x', [storedBytes.zstd / file.size]),
            baselineName: 'plain cold tier',
            baseline: measure('x', [storedBytes.plain / file.size]),
          },
        ],
        details: { fileBytes: file.size, storedBytes, mibps, cpuPerGiB },
      };
    } finally {
      for (const m of mirrors.values()) await m.stop();
      for (const d of dirs) ctx.removeDir(d);
    }
  },
};
