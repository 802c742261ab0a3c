import { setTimeout as sleep } from 'node:timers/promises';
import { waitForQuiet } from '../lib/cpu-time';
import { curlBatch } from '../lib/download-clients';
import { DeploymentMode } from '../lib/deployments';
import { GiB } from '../lib/settings';
import { mibPerSecond, measure, pairedRatio } from '../lib/stats';
import { timedBatch } from '../lib/timed-batch';
import { BenchContext, resolvePath, TableRow } from './scenario';

/** Short enough to idle past within the scenario, long enough for the fresh read to fall inside it. */
const TTL_SECONDS = 12;
/** Idle beyond the TTL before the reads after it (issue 11 saw the slowdown from the first one). */
const IDLE_PAST_TTL_SECONDS = 3;
const READS_AFTER_TTL = 3;

/**
 * Issue 11's regression: warm single-client reads fell to a quarter of their speed, at 3-5x the
 * CPU, from the first download after the revision TTL had expired on an idle gateway, and stayed
 * there. `fresh` is a warm read on a newly started gateway; `after` are reads once it has idled
 * past the TTL (the first one asks upstream for the revision again).
 */
export interface AfterTtlMeasurement {
  ttlSeconds: number;
  idleSeconds: number;
  freshMiBps: number;
  freshCpuPerGiB: number;
  afterMiBps: number[];
  afterCpuPerGiB: number[];
  /** Requests to the hub during the fresh read (0: inside the TTL) and during the reads after it (>= 1). */
  hubRequestsFresh: number;
  hubRequestsAfter: number;
}

/** A gateway with a short revision TTL on `dataDir` (already warm): one fresh read, idle past the TTL, then reads. */
export async function measureAfterTtl(
  ctx: BenchContext,
  mode: DeploymentMode,
  dataDir: string,
): Promise<AfterTtlMeasurement> {
  const { files, sim } = ctx;
  const file = files.hit;
  ctx.log(`  warm reads after the revision TTL expired (${TTL_SECONDS} s TTL, a gateway of its own)`);
  const mirror = await ctx.startMirror(mode, 'fast', dataDir, {
    DINGO_REVISION_TTL_SECONDS: String(TTL_SECONDS),
  });
  try {
    const url = mirror.url + resolvePath(file);
    const read = async () => {
      await waitForQuiet(mirror.pids);
      const { batch, cpu } = await timedBatch(
        () => curlBatch(url, 1, { expectBytes: file.size }),
        mirror.pids,
      );
      return { mibps: mibPerSecond(batch.bytes, batch.windowS), cpuPerGiB: cpu / (batch.bytes / GiB) };
    };
    const hubRequests = () => sim.requestCount('fast', { origin: 'hub' });
    // Untimed: the JIT (a first read costs up to twice the CPU), and the revision fetched now.
    await curlBatch(url, 1, { expectBytes: file.size });
    let before = await hubRequests();
    const fresh = await read();
    const hubRequestsFresh = (await hubRequests()) - before;
    const idleSeconds = TTL_SECONDS + IDLE_PAST_TTL_SECONDS;
    await sleep(idleSeconds * 1000);
    before = await hubRequests();
    const after = [];
    for (let i = 0; i < READS_AFTER_TTL; i++) after.push(await read());
    const hubRequestsAfter = (await hubRequests()) - before;
    ctx.log(
      `  fresh ${fresh.mibps.toFixed(0)} MiB/s ${fresh.cpuPerGiB.toFixed(2)} CPU-s/GiB; after the TTL ${after
        .map((a) => `${a.mibps.toFixed(0)} MiB/s ${a.cpuPerGiB.toFixed(2)} CPU-s/GiB`)
        .join(', ')}`,
    );
    return {
      ttlSeconds: TTL_SECONDS,
      idleSeconds,
      freshMiBps: fresh.mibps,
      freshCpuPerGiB: fresh.cpuPerGiB,
      afterMiBps: after.map((a) => a.mibps),
      afterCpuPerGiB: after.map((a) => a.cpuPerGiB),
      hubRequestsFresh,
      hubRequestsAfter,
    };
  } finally {
    await mirror.stop();
  }
}

export function afterTtlRows(m: AfterTtlMeasurement): TableRow[] {
  const fresh = (n: number) => Array.from({ length: m.afterMiBps.length }, () => n);
  const what = `1 client, after the revision TTL (${m.ttlSeconds} s) expired on an idle gateway`;
  const baselineName = 'fresh read (same gateway, before the TTL)';
  return [
    {
      metric: `${what}: MiB/s`,
      mirror: measure('MiB/s', m.afterMiBps),
      baselineName,
      baseline: measure('MiB/s', [m.freshMiBps]),
      ratio: pairedRatio(m.afterMiBps, fresh(m.freshMiBps)),
      ratioMeaning: 'after/fresh, goal ~1.0 (issue 11 saw 0.25)',
      note: `hub requests: ${m.hubRequestsFresh} during the fresh read, ${m.hubRequestsAfter} during the reads after the TTL`,
    },
    {
      metric: `${what}: server CPU-s per GiB`,
      mirror: measure('CPU-s/GiB', m.afterCpuPerGiB),
      baselineName,
      baseline: measure('CPU-s/GiB', [m.freshCpuPerGiB]),
      ratio: pairedRatio(m.afterCpuPerGiB, fresh(m.freshCpuPerGiB)),
      ratioMeaning: 'after/fresh, goal ~1.0, lower is better',
    },
  ];
}
