import { join } from 'node:path';
import { ProfileSummary } from '../lib/cpu-profile';
import { cpuSeconds, waitForQuiet, withDescendants } from '../lib/cpu-time';
import { DeploymentMode } from '../lib/deployments';
import { curlBatch, curlDownload, TransferBatch } from '../lib/download-clients';
import { NginxServer } from '../lib/nginx';
import { profileWhile } from '../lib/profiling';
import { memoryOf, PeakRssWindow } from '../lib/rss';
import { GiB } from '../lib/settings';
import { measure, mibPerSecond, pairedRatio } from '../lib/stats';
import { BenchContext, resolvePath, Scenario, ScenarioOutcome, TableRow } from './scenario';

/** Per client count: samples over reps, mirror and nginx side by side. */
export interface CacheHitSamples {
  mode: DeploymentMode;
  clients: number;
  mirrorMiBps: number[];
  nginxMiBps: number[];
  /** CPU seconds per GiB served (user + system, all processes of the server). */
  mirrorCpuPerGiB: number[];
  nginxCpuPerGiB: number[];
  mirrorPeakRss: number[];
  nginxPeakRss: number[];
  /** CPU seconds per GiB of the curl clients themselves (same client for both sides). */
  mirrorClientCpuPerGiB: number[];
  nginxClientCpuPerGiB: number[];
}

export interface CacheHitMeasurement {
  mode: DeploymentMode;
  perClients: CacheHitSamples[];
  idleRssAfterStart: number;
  upstreamBytesWhileMeasuring: number;
  profiles: ProfileSummary[];
  nginxConfig: string;
}

/**
 * Warms a mirror with the big file, restarts it on the same data dir (so its memory high-water
 * mark is about serving hits only), then alternates mirror and nginx downloads of the same bytes.
 */
export async function measureCacheHit(ctx: BenchContext, mode: DeploymentMode): Promise<CacheHitMeasurement> {
  const { settings, files, sim } = ctx;
  const file = files.hit;
  const path = resolvePath(file);
  const dataDir = ctx.freshDir(`cache-hit-${mode}`);

  ctx.log(`  warming a ${mode} mirror with ${file.path} (${(file.size / GiB).toFixed(2)} GiB)`);
  await ctx.withMirror(mode, 'fast', dataDir, async (mirror) => {
    // Until a download costs upstream nothing, the cache is not warm (the last chunk may still
    // have been committing when the first download ended).
    for (let attempt = 0; ; attempt++) {
      const before = await sim.bytesServed('fast', file.sha256);
      await curlDownload(mirror.url + path, { expectBytes: file.size });
      await waitForQuiet(mirror.pids);
      if ((await sim.bytesServed('fast', file.sha256)) === before && attempt > 0) break;
      if (attempt >= 4) throw new Error('the mirror keeps fetching the file from upstream after 5 downloads');
    }
  });

  const nginx = await NginxServer.start(ctx.nginxBin, join(ctx.runDir, `nginx-${mode}`), {
    [file.path]: file.diskPath,
  });
  const mirror = await ctx.startMirror(mode, 'fast', dataDir);
  try {
    await waitForQuiet(mirror.pids);
    const idleRssAfterStart = mirror.pids.reduce((sum, pid) => sum + (memoryOf(pid)?.rss ?? 0), 0);
    const urls = { mirror: mirror.url + path, nginx: `${nginx.url}/${file.path}` };
    // Untimed: page cache, keep-alive-free curl start-up paths and the JIT are warm for both.
    await curlDownload(urls.mirror, { expectBytes: file.size });
    await curlDownload(urls.nginx, { expectBytes: file.size });

    const upstreamBefore = await sim.bytesServed('fast', file.sha256);
    const perClients: CacheHitSamples[] = settings.cacheHit.clients.map((clients) => ({
      mode,
      clients,
      mirrorMiBps: [],
      nginxMiBps: [],
      mirrorCpuPerGiB: [],
      nginxCpuPerGiB: [],
      mirrorPeakRss: [],
      nginxPeakRss: [],
      mirrorClientCpuPerGiB: [],
      nginxClientCpuPerGiB: [],
    }));
    for (let rep = 0; rep < settings.reps; rep++) {
      for (const s of perClients) {
        const sides = rep % 2 === 0 ? (['mirror', 'nginx'] as const) : (['nginx', 'mirror'] as const);
        for (const side of sides) {
          const pids = side === 'mirror' ? mirror.pids : withDescendants(nginx.pid);
          await waitForQuiet(pids);
          const { batch, cpu, peak } = await timedBatch(urls[side], s.clients, file.size, pids);
          const mibps = mibPerSecond(batch.bytes, batch.windowS);
          (side === 'mirror' ? s.mirrorMiBps : s.nginxMiBps).push(mibps);
          (side === 'mirror' ? s.mirrorCpuPerGiB : s.nginxCpuPerGiB).push(cpu / (batch.bytes / GiB));
          (side === 'mirror' ? s.mirrorPeakRss : s.nginxPeakRss).push(peak);
          (side === 'mirror' ? s.mirrorClientCpuPerGiB : s.nginxClientCpuPerGiB).push(
            batch.clientCpuS / (batch.bytes / GiB),
          );
          ctx.log(
            `  rep ${rep + 1}/${settings.reps} ${s.clients} client(s) ${side}: ${mibps.toFixed(0)} MiB/s, ${cpu.toFixed(2)} CPU-s`,
          );
        }
      }
    }
    const upstreamBytesWhileMeasuring = (await sim.bytesServed('fast', file.sha256)) - upstreamBefore;

    const profiles: ProfileSummary[] = [];
    const worst = Math.min(...perClients.map((s) => pairedRatio(s.mirrorMiBps, s.nginxMiBps).median));
    const wanted =
      settings.profile === 'always' || (settings.profile === 'auto' && worst < settings.profileBelowRatio);
    if (wanted) {
      for (const s of perClients) {
        ctx.log(
          `  profiling the ${mode} mirror: ${s.clients} client(s) (worst mirror/nginx ratio ${worst.toFixed(2)})`,
        );
        await waitForQuiet(mirror.pids);
        const profile = await profileWhile(
          settings.repoRoot,
          mirror,
          `cache-hit-${mode}-${s.clients}c`,
          8,
          (signal) => curlBatch(urls.mirror, s.clients, { expectBytes: file.size, signal }),
        );
        profiles.push(profile);
      }
    }
    return {
      mode,
      perClients,
      idleRssAfterStart,
      upstreamBytesWhileMeasuring,
      profiles,
      nginxConfig: nginx.config,
    };
  } finally {
    await mirror.stop();
    await nginx.stop();
    ctx.removeDir(dataDir);
  }
}

async function timedBatch(
  url: string,
  clients: number,
  size: number,
  pids: number[],
): Promise<{ batch: TransferBatch; cpu: number; peak: number }> {
  const window = new PeakRssWindow(pids);
  const cpuBefore = cpuSeconds(pids);
  try {
    const batch = await curlBatch(url, clients, { expectBytes: size });
    return { batch, cpu: cpuSeconds(pids) - cpuBefore, peak: window.stop().peak };
  } finally {
    window.stop();
  }
}

export function cacheHitRows(m: CacheHitMeasurement, label = ''): TableRow[] {
  const rows: TableRow[] = [];
  for (const s of m.perClients) {
    rows.push({
      metric: `${label}${s.clients} client${s.clients > 1 ? 's' : ''}, aggregate MiB/s`,
      mirror: measure('MiB/s', s.mirrorMiBps),
      baselineName: 'nginx',
      baseline: measure('MiB/s', s.nginxMiBps),
      ratio: pairedRatio(s.mirrorMiBps, s.nginxMiBps),
      ratioMeaning: 'mirror/nginx, higher is better (1.0 = as fast as nginx)',
    });
    rows.push({
      metric: `${label}${s.clients} client${s.clients > 1 ? 's' : ''}, server CPU-s per GiB`,
      mirror: measure('CPU-s/GiB', s.mirrorCpuPerGiB),
      baselineName: 'nginx',
      baseline: measure('CPU-s/GiB', s.nginxCpuPerGiB),
      ratio: pairedRatio(s.mirrorCpuPerGiB, s.nginxCpuPerGiB),
      ratioMeaning: 'mirror/nginx, lower is better',
      note: 'indicative: loopback kernel work is charged to whichever process runs it',
    });
  }
  return rows;
}

export const cacheHitScenario: Scenario = {
  id: 'cache-hit',
  title: '1. Cache-hit throughput (cached file, mirror vs nginx on the same bytes)',
  async run(ctx): Promise<ScenarioOutcome> {
    const m = await measureCacheHit(ctx, 'embedded');
    ctx.shared.set('cache-hit', m);
    const rows = cacheHitRows(m);
    if (m.upstreamBytesWhileMeasuring > 0) {
      rows.push({
        metric: 'upstream bytes while measuring (should be 0)',
        note: String(m.upstreamBytesWhileMeasuring),
      });
    }
    const { profiles, ...measurement } = m;
    return {
      rows,
      details: {
        fileBytes: ctx.files.hit.size,
        clients: ctx.settings.cacheHit.clients,
        measurement,
      },
      profiles: profiles.map((p, i) => ({
        label: `cache hit, ${m.perClients[i].clients} client(s), first 8 s`,
        ...p,
      })),
    };
  },
};
