import { readFileSync } from 'node:fs';
import { curlDownload } from '../lib/download-clients';
import { startEdge } from '../lib/deployments';
import { freePort, LOOPBACK } from '../lib/processes';
import { memoryOf, PeakRssWindow } from '../lib/rss';
import { MiB } from '../lib/settings';
import { measure } from '../lib/stats';
import { resolvePath, Scenario, ScenarioOutcome, TableRow } from './scenario';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Memory private to the process (Private_Clean + Private_Dirty of /proc/<pid>/smaps_rollup): RSS
 * without the pages it shares, chiefly the node binary's own text (~45 MiB, shared by every Node
 * process and clean, so the kernel can drop it under pressure).
 */
function privateOf(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN);
    return (kb('Private_Clean') + kb('Private_Dirty')) * 1024;
  } catch {
    return NaN;
  }
}

/** The peak of privateOf(pid) sampled every 100 ms until stopped. */
function privatePeak(pid: number): () => number {
  let peak = privateOf(pid);
  const timer = setInterval(() => (peak = Math.max(peak, privateOf(pid))), 100);
  return () => {
    clearInterval(timer);
    return Math.max(peak, privateOf(pid));
  };
}

/** The documented low-memory edge (apps/mirror-edge/README.md): no memory cache, small heap. */
export const LOW_MEMORY_EDGE = {
  DINGO_MEMORY_CACHE: '0',
  DINGO_READ_AHEAD_CHUNKS: '1',
  DINGO_MAX_CONCURRENT_PULLS: '2',
  NODE_OPTIONS: '--max-old-space-size=64 --max-semi-space-size=1',
  // glibc keeps a malloc arena per thread that touched it; two bound the native heap's spread.
  MALLOC_ARENA_MAX: '2',
  UV_THREADPOOL_SIZE: '2',
};

const EDGE_GOAL_MIB = 80;

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) total += Number(line.split(' ').pop());
  return total;
}

/**
 * Issue 13 #5: a compiled edge's RSS at idle and while it serves the big file (cold: filling from
 * a warm gateway; warm: from its disk), with the default and the low-memory configuration.
 */
export const edgeMemoryScenario: Scenario = {
  id: 'edge-memory',
  title: '12. Edge memory: mirror-edge RSS idle and serving (goal <= 80 MiB)',
  async run(ctx): Promise<ScenarioOutcome> {
    const file = ctx.files.hit;
    const gwDir = ctx.freshDir('edge-memory-gateway');
    const gateway = await ctx.startMirror('embedded', 'fast', gwDir);
    const rows: TableRow[] = [];
    const details: Record<string, unknown> = { fileBytes: file.size, goalMiB: EDGE_GOAL_MIB };
    try {
      ctx.log(`  warming the gateway with ${file.size / MiB} MiB`);
      await curlDownload(`${gateway.url}${resolvePath(file)}`, { expectBytes: file.size });
      for (const [name, env] of [
        ['default', {}],
        ['low-memory', LOW_MEMORY_EDGE],
      ] as const) {
        const dir = ctx.freshDir(`edge-memory-${name}`);
        const edge = await startEdge({
          repoRoot: ctx.settings.repoRoot,
          gateway: gateway.url,
          dataDir: dir,
          env,
        });
        try {
          await sleep(3000);
          const idle = memoryOf(edge.pid)?.rss ?? NaN;
          const idlePrivate = privateOf(edge.pid);
          const url = `${edge.url}${resolvePath(file)}`;
          const coldWindow = new PeakRssWindow([edge.pid]);
          const coldPrivate = privatePeak(edge.pid);
          const cold = await curlDownload(url, { expectBytes: file.size });
          const coldPeak = coldWindow.stop().peak;
          const coldPrivatePeak = coldPrivate();
          const warmWindow = new PeakRssWindow([edge.pid]);
          const warmPrivate = privatePeak(edge.pid);
          const warm = await curlDownload(url, { expectBytes: file.size });
          const warmPeak = warmWindow.stop().peak;
          const warmPrivatePeak = warmPrivate();
          await sleep(2000);
          const idleAfter = memoryOf(edge.pid)?.rss ?? NaN;
          ctx.log(
            `  ${name}: private idle ${(idlePrivate / MiB).toFixed(1)} / cold ${(coldPrivatePeak / MiB).toFixed(1)} / warm ${(warmPrivatePeak / MiB).toFixed(1)} MiB; RSS idle ${(idle / MiB).toFixed(1)} MiB, cold peak ${(coldPeak / MiB).toFixed(1)} MiB, warm peak ${(warmPeak / MiB).toFixed(1)} MiB, idle after ${(idleAfter / MiB).toFixed(1)} MiB`,
          );
          const note = `${name}${
            name === 'low-memory'
              ? ` (${Object.entries(env)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(' ')})`
              : ''
          }`;
          rows.push(
            { metric: `edge ${name}: idle RSS after start, MiB`, mirror: measure('MiB', [idle / MiB]), note },
            {
              metric: `edge ${name}: peak RSS serving cold (filling from gateway), MiB`,
              mirror: measure('MiB', [coldPeak / MiB]),
              note: `${(file.size / MiB / cold.totalS).toFixed(0)} MiB/s`,
            },
            {
              metric: `edge ${name}: peak RSS serving warm (from disk), MiB`,
              mirror: measure('MiB', [warmPeak / MiB]),
              note: `${(file.size / MiB / warm.totalS).toFixed(0)} MiB/s`,
            },
            {
              metric: `edge ${name}: idle RSS after serving, MiB`,
              mirror: measure('MiB', [idleAfter / MiB]),
            },
            { metric: `edge ${name}: private memory idle, MiB`, mirror: measure('MiB', [idlePrivate / MiB]) },
            {
              metric: `edge ${name}: private memory peak serving (cold, warm), MiB`,
              mirror: measure('MiB', [Math.max(coldPrivatePeak, warmPrivatePeak) / MiB]),
              note: `cold ${(coldPrivatePeak / MiB).toFixed(0)}, warm ${(warmPrivatePeak / MiB).toFixed(0)}: RSS without shared pages (the node binary's text)`,
            },
          );
          details[name] = {
            env,
            idleRss: idle,
            coldPeakRss: coldPeak,
            warmPeakRss: warmPeak,
            idleRssAfter: idleAfter,
            privateIdle: idlePrivate,
            privateColdPeak: coldPrivatePeak,
            privateWarmPeak: warmPrivatePeak,
            coldMiBps: file.size / MiB / cold.totalS,
            warmMiBps: file.size / MiB / warm.totalS,
            withinGoal: Math.max(idle, coldPeak, warmPeak) <= EDGE_GOAL_MIB * MiB,
          };
        } finally {
          await edge.stop();
          ctx.removeDir(dir);
        }
      }
    } finally {
      await gateway.stop();
      ctx.removeDir(gwDir);
    }
    return { rows, details };
  },
};

/**
 * Issue 13 #4: three edges on a LAN (static peer lists) in front of one cold gateway pull the same
 * cold file one after the other: upstream bytes / file size, gateway bytes / file size, and how
 * much came from peers.
 */
export const edgePeersScenario: Scenario = {
  id: 'edge-peers',
  title: '13. Edge peers: three edges pull one cold file (upstream and gateway bytes)',
  async run(ctx): Promise<ScenarioOutcome> {
    const file = ctx.files.coalesce;
    const gwDir = ctx.freshDir('edge-peers-gateway');
    const gateway = await ctx.startMirror('embedded', 'shaped', gwDir);
    const ports = await Promise.all([0, 1, 2].map(() => freePort()));
    const urls = ports.map((p) => `http://${LOOPBACK}:${p}`);
    const dirs = ports.map((_, i) => ctx.freshDir(`edge-peer-${i}`));
    const edges: Awaited<ReturnType<typeof startEdge>>[] = [];
    try {
      for (const [i, port] of ports.entries())
        edges.push(
          await startEdge({
            repoRoot: ctx.settings.repoRoot,
            gateway: gateway.url,
            dataDir: dirs[i],
            port,
            env: {
              DINGO_EDGE_PEERS: urls.filter((_, j) => j !== i).join(','),
              DINGO_EDGE_ADVERTISE_URL: urls[i],
            },
          }),
        );
      await ctx.sim.resetStats('shaped');
      const gatewayBefore = await metric(gateway.url, 'dingo_served_bytes_total');
      const seconds: number[] = [];
      for (const edge of edges) {
        const t = await curlDownload(`${edge.url}${resolvePath(file)}`, { expectBytes: file.size });
        seconds.push(t.totalS);
      }
      const upstream = await ctx.sim.bytesServed('shaped', file.sha256);
      const viaGateway = (await metric(gateway.url, 'dingo_served_bytes_total')) - gatewayBefore;
      const stats = await Promise.all(
        edges.map(
          async (e) => (await (await fetch(`${e.url}/_dingo/peer/stats`)).json()) as Record<string, number>,
        ),
      );
      const fromPeers = stats.reduce((n, s) => n + s.peerBytes, 0);
      const ratio = (n: number) => Math.round((n / file.size) * 1000) / 1000;
      ctx.log(
        `  upstream ${ratio(upstream)}x, gateway ${ratio(viaGateway)}x, peers ${ratio(fromPeers)}x the file; ${seconds.map((s) => s.toFixed(1)).join(' / ')} s`,
      );
      const rows: TableRow[] = [
        {
          metric: 'three edges, one cold file: upstream bytes / file size',
          mirror: measure('ratio', [ratio(upstream)]),
          note: 'goal 1.00',
        },
        {
          metric: 'three edges, one cold file: gateway bytes / file size',
          mirror: measure('ratio', [ratio(viaGateway)]),
          note: 'without peers: 3.00',
        },
        {
          metric: 'three edges, one cold file: peer bytes / file size',
          mirror: measure('ratio', [ratio(fromPeers)]),
        },
        ...seconds.map((s, i) => ({
          metric: `three edges: edge ${i + 1} download, s`,
          mirror: measure('s', [s]),
          note: i === 0 ? 'cold gateway (shaped upstream)' : 'from peers',
        })),
      ];
      return {
        rows,
        details: {
          fileBytes: file.size,
          upstreamBytes: upstream,
          gatewayBytes: viaGateway,
          peerBytes: fromPeers,
          edges: stats,
        },
      };
    } finally {
      for (const e of edges) await e.stop();
      await gateway.stop();
      for (const d of [gwDir, ...dirs]) ctx.removeDir(d);
    }
  },
};
