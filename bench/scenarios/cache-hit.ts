import { join } from 'node:path';
import { blobKeyFor } from '@dingo/chunk-store';
import { ProfileSummary } from '../lib/cpu-profile';
import { waitForQuiet, withDescendants } from '../lib/cpu-time';
import { DeploymentMode, MirrorDeployment } from '../lib/deployments';
import { curlBatch, curlDownload, TransferBatch } from '../lib/download-clients';
import { NginxServer } from '../lib/nginx';
import { profileWhile } from '../lib/profiling';
import { chunkObjectUrls } from '../lib/raw-s3';
import { memoryOf } from '../lib/rss';
import { GiB } from '../lib/settings';
import { measure, mibPerSecond, pairedRatio } from '../lib/stats';
import { timedBatch } from '../lib/timed-batch';
import { AfterTtlMeasurement, afterTtlRows, measureAfterTtl } from './cache-hit-after-ttl';
import { BenchContext, resolvePath, Scenario, ScenarioOutcome, TableRow } from './scenario';

/** Per client count: samples over reps, mirror and its baseline side by side. */
export interface CacheHitSamples {
  mode: DeploymentMode;
  clients: number;
  /** What the mirror is compared with on the same bytes: `nginx`, or `raw S3` in distributed mode. */
  baseline: string;
  mirrorMiBps: number[];
  baselineMiBps: number[];
  /** CPU seconds per GiB served (user + system, all processes of the server). */
  mirrorCpuPerGiB: number[];
  baselineCpuPerGiB: number[];
  mirrorPeakRss: number[];
  baselinePeakRss: number[];
  /** CPU seconds per GiB of the curl clients themselves (same client for both sides). */
  mirrorClientCpuPerGiB: number[];
  baselineClientCpuPerGiB: number[];
}

export interface CacheHitMeasurement {
  mode: DeploymentMode;
  perClients: CacheHitSamples[];
  idleRssAfterStart: number;
  upstreamBytesWhileMeasuring: number;
  profiles: ProfileSummary[];
  nginxConfig?: string;
  /** Warm reads on a gateway whose revision TTL expired while it idled (issue 11's regression). */
  afterTtl?: AfterTtlMeasurement;
}

/**
 * A server reading the same bytes the mirror serves, and the processes whose CPU counts for it:
 * nginx on the file itself, or (distributed) the deployment's S3 server on the chunk objects the
 * gateway reads, fetched in order by each client over one keep-alive connection.
 */
interface HitBaseline {
  name: string;
  pids(): number[];
  batch(clients: number): Promise<TransferBatch>;
  stop(): Promise<void>;
  nginxConfig?: string;
}

async function nginxBaseline(ctx: BenchContext, mode: DeploymentMode): Promise<HitBaseline> {
  const file = ctx.files.hit;
  const nginx = await NginxServer.start(ctx.nginxBin, join(ctx.runDir, `nginx-${mode}`), {
    [file.path]: file.diskPath,
  });
  const url = `${nginx.url}/${file.path}`;
  return {
    name: 'nginx',
    pids: () => withDescendants(nginx.pid),
    batch: (clients) => curlBatch(url, clients, { expectBytes: file.size }),
    stop: () => nginx.stop(),
    nginxConfig: nginx.config,
  };
}

async function rawS3Baseline(ctx: BenchContext, mirror: MirrorDeployment): Promise<HitBaseline> {
  const file = ctx.files.hit;
  const s3 = mirror.s3;
  if (!s3) throw new Error(`a ${mirror.mode} deployment has no S3 server to compare with`);
  const urls = await chunkObjectUrls(s3.url, blobKeyFor({ sha256: file.sha256 }), file.size);
  return {
    name: 'raw S3',
    pids: () => [s3.pid],
    batch: (clients) => curlBatch(urls, clients, { expectBytes: file.size }),
    stop: async () => undefined,
  };
}

/**
 * Warms a mirror with the big file, restarts it on the same data dir (so its memory high-water
 * mark is about serving hits only), then alternates mirror and baseline downloads of the same
 * bytes: nginx in embedded mode, the S3 server's own chunk objects in distributed mode. With
 * `afterTtl`, the warm data dir is then served by one more gateway, with a short revision TTL.
 */
export async function measureCacheHit(
  ctx: BenchContext,
  mode: DeploymentMode,
  opts: { afterTtl?: boolean } = {},
): Promise<CacheHitMeasurement> {
  const { settings, files, sim } = ctx;
  const file = files.hit;
  const path = resolvePath(file);
  const dataDir = ctx.freshDir(`cache-hit-${mode}`);

  ctx.log(`  warming a ${mode} mirror with ${file.path} (${(file.size / GiB).toFixed(2)} GiB)`);
  let mirror: MirrorDeployment | undefined = await ctx.startMirror(mode, 'fast', dataDir);
  let baseline: HitBaseline | undefined;
  try {
    // Until a download costs upstream nothing, the cache is not warm (the last chunk may still
    // have been committing when the first download ended).
    for (let attempt = 0; ; attempt++) {
      const before = await sim.bytesServed('fast', file.sha256);
      await withOutputOf(mirror, curlDownload(mirror.url + path, { expectBytes: file.size }));
      await waitForQuiet(mirror.pids);
      if ((await sim.bytesServed('fast', file.sha256)) === before && attempt > 0) break;
      if (attempt >= 4) throw new Error('the mirror keeps fetching the file from upstream after 5 downloads');
    }
    // Embedded restarts on its data dir, so that its memory figures cover serving hits only. A
    // distributed deployment's database and S3 server live as long as it does: measured as warmed.
    if (mode === 'embedded') {
      const warmed = mirror;
      mirror = undefined;
      await warmed.stop();
      mirror = await ctx.startMirror(mode, 'fast', dataDir);
    }
    const served = mirror;
    const mirrorUrl = served.url + path;
    const base = (baseline =
      mode === 'distributed' ? await rawS3Baseline(ctx, served) : await nginxBaseline(ctx, mode));
    await waitForQuiet(served.pids);
    const idleRssAfterStart = served.pids.reduce((sum, pid) => sum + (memoryOf(pid)?.rss ?? 0), 0);
    const sides = {
      mirror: {
        pids: () => served.pids,
        batch: (clients: number) =>
          withOutputOf(served, curlBatch(mirrorUrl, clients, { expectBytes: file.size })),
      },
      baseline: base,
    };
    // Untimed: page cache, keep-alive-free curl start-up paths and the JIT are warm for both.
    await sides.mirror.batch(1);
    await base.batch(1);

    const upstreamBefore = await sim.bytesServed('fast', file.sha256);
    const perClients: CacheHitSamples[] = settings.cacheHit.clients.map((clients) => ({
      mode,
      clients,
      baseline: base.name,
      mirrorMiBps: [],
      baselineMiBps: [],
      mirrorCpuPerGiB: [],
      baselineCpuPerGiB: [],
      mirrorPeakRss: [],
      baselinePeakRss: [],
      mirrorClientCpuPerGiB: [],
      baselineClientCpuPerGiB: [],
    }));
    for (let rep = 0; rep < settings.reps; rep++) {
      for (const s of perClients) {
        const order = rep % 2 === 0 ? (['mirror', 'baseline'] as const) : (['baseline', 'mirror'] as const);
        for (const side of order) {
          const pids = sides[side].pids();
          await waitForQuiet(pids);
          const { batch, cpu, peak } = await timedBatch(() => sides[side].batch(s.clients), pids);
          const mibps = mibPerSecond(batch.bytes, batch.windowS);
          const mine = side === 'mirror';
          (mine ? s.mirrorMiBps : s.baselineMiBps).push(mibps);
          (mine ? s.mirrorCpuPerGiB : s.baselineCpuPerGiB).push(cpu / (batch.bytes / GiB));
          (mine ? s.mirrorPeakRss : s.baselinePeakRss).push(peak);
          (mine ? s.mirrorClientCpuPerGiB : s.baselineClientCpuPerGiB).push(
            batch.clientCpuS / (batch.bytes / GiB),
          );
          ctx.log(
            `  rep ${rep + 1}/${settings.reps} ${s.clients} client(s) ${mine ? 'mirror' : base.name}: ${mibps.toFixed(0)} MiB/s, ${cpu.toFixed(2)} CPU-s`,
          );
        }
      }
    }
    const upstreamBytesWhileMeasuring = (await sim.bytesServed('fast', file.sha256)) - upstreamBefore;

    const profiles: ProfileSummary[] = [];
    const worst = Math.min(...perClients.map((s) => pairedRatio(s.mirrorMiBps, s.baselineMiBps).median));
    const wanted =
      settings.profile === 'always' || (settings.profile === 'auto' && worst < settings.profileBelowRatio);
    if (wanted) {
      for (const s of perClients) {
        ctx.log(
          `  profiling the ${mode} mirror: ${s.clients} client(s) (worst mirror/${base.name} ratio ${worst.toFixed(2)})`,
        );
        await waitForQuiet(served.pids);
        const profile = await profileWhile(
          settings.repoRoot,
          served,
          `cache-hit-${mode}-${s.clients}c`,
          8,
          (signal) => curlBatch(mirrorUrl, s.clients, { expectBytes: file.size, signal }),
        );
        profiles.push(profile);
      }
    }
    // The gateway after the TTL is one of its own, on the same warm data dir.
    mirror = undefined;
    await served.stop();
    const afterTtl = opts.afterTtl ? await measureAfterTtl(ctx, mode, dataDir) : undefined;
    return {
      mode,
      perClients,
      idleRssAfterStart,
      upstreamBytesWhileMeasuring,
      profiles,
      nginxConfig: base.nginxConfig,
      afterTtl,
    };
  } finally {
    await mirror?.stop();
    await baseline?.stop();
    ctx.removeDir(dataDir);
  }
}

/** A failed download says what the gateway last wrote. */
function withOutputOf<T>(mirror: MirrorDeployment, download: Promise<T>): Promise<T> {
  return download.catch((err: Error) => {
    throw new Error(`${err.message}\ngateway output:\n${mirror.output()}`);
  });
}

export function cacheHitRows(m: CacheHitMeasurement, label = ''): TableRow[] {
  const rows: TableRow[] = [];
  for (const s of m.perClients) {
    const clients = `${s.clients} client${s.clients > 1 ? 's' : ''}`;
    rows.push({
      metric: `${label}${clients}, aggregate MiB/s`,
      mirror: measure('MiB/s', s.mirrorMiBps),
      baselineName: s.baseline,
      baseline: measure('MiB/s', s.baselineMiBps),
      ratio: pairedRatio(s.mirrorMiBps, s.baselineMiBps),
      ratioMeaning:
        s.baseline === 'raw S3'
          ? 'mirror/raw S3, higher is better (goal >= 0.8)'
          : `mirror/${s.baseline}, higher is better (1.0 = as fast as ${s.baseline})`,
    });
    rows.push({
      metric: `${label}${clients}, server CPU-s per GiB`,
      mirror: measure('CPU-s/GiB', s.mirrorCpuPerGiB),
      baselineName: s.baseline,
      baseline: measure('CPU-s/GiB', s.baselineCpuPerGiB),
      ratio: pairedRatio(s.mirrorCpuPerGiB, s.baselineCpuPerGiB),
      ratioMeaning: `mirror/${s.baseline}, lower is better`,
      note:
        s.baseline === 'raw S3'
          ? 'mirror: all processes, S3 server included; raw S3: the S3 server alone (indicative: loopback kernel work)'
          : 'indicative: loopback kernel work is charged to whichever process runs it',
    });
  }
  return rows;
}

export const cacheHitScenario: Scenario = {
  id: 'cache-hit',
  title: '1. Cache-hit throughput (cached file, mirror vs nginx on the same bytes)',
  async run(ctx): Promise<ScenarioOutcome> {
    const m = await measureCacheHit(ctx, 'embedded', { afterTtl: true });
    ctx.shared.set('cache-hit', m);
    const rows = cacheHitRows(m);
    if (m.upstreamBytesWhileMeasuring > 0) {
      rows.push({
        metric: 'upstream bytes while measuring (should be 0)',
        note: String(m.upstreamBytesWhileMeasuring),
      });
    }
    if (m.afterTtl) rows.push(...afterTtlRows(m.afterTtl));
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
