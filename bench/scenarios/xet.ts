import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSize } from '@dingo/config';
import { HubSimulator, pythonWithXet, runPythonXet } from '@dingo/hub-simulator';
import { LAUNCHERS, MirrorDeployment } from '../lib/deployments';
import { MiB } from '../lib/settings';
import { measure, mibPerSecond, pairedRatio } from '../lib/stats';
import { BenchContext, Scenario, ScenarioOutcome, ScenarioSkipped } from './scenario';

type XetMode = 'serve' | 'http';

interface Timed {
  seconds: number;
  bytes: number;
}

/**
 * The same Python client (huggingface_hub 2.0.0 + hf_xet 1.6.0, `hf_hub_download`) fetching one
 * Xet-backed file through a Xet-serving mirror (DINGO_XET_MODE=serve: the client speaks Xet to the
 * mirror) and through an HTTP-only mirror (DINGO_XET_MODE=http: plain HTTP resolve). Cold: each
 * mirror starts empty and pulls from the simulator (Xet storage vs LFS CDN); warm: the file is
 * cached, each rep in a fresh client cache. The clock runs inside Python around hf_hub_download
 * (interpreter start-up is excluded). The simulator runs in this process (it needs its Xet CAS
 * and a CDN on its own loopback host, 127.0.0.2), unshaped.
 * Size: DINGO_BENCH_XET_SIZE (default 512MiB; quick 128MiB).
 */
export const xetScenario: Scenario = {
  id: 'xet',
  title: '8. Xet: hf_xet over Xet through a Xet-serving mirror vs plain HTTP through an HTTP-only mirror',
  async run(ctx: BenchContext): Promise<ScenarioOutcome> {
    await pythonWithXet().catch((err: Error) => {
      throw new ScenarioSkipped(`no Python with huggingface_hub + hf_xet: ${err.message}`);
    });
    const size = parseSize(
      process.env.DINGO_BENCH_XET_SIZE || (ctx.settings.quick ? '128MiB' : '512MiB'),
      'DINGO_BENCH_XET_SIZE',
    );
    const simDir = ctx.freshDir('xet-sim');
    const sim = await HubSimulator.start({ dataDir: simDir, cdnHost: '127.0.0.2' });
    try {
      const repo = await sim.addRepo({
        type: 'model',
        id: 'bench/xet',
        commits: [{ files: [{ path: 'model.safetensors', size, xet: true }] }],
      });
      const sha256 = repo.file('main', 'model.safetensors')!.sha256;
      const cold: Record<XetMode, Timed[]> = { serve: [], http: [] };
      const warm: Record<XetMode, Timed[]> = { serve: [], http: [] };
      const upstreamWarmBytes: Record<XetMode, number[]> = { serve: [], http: [] };
      for (let rep = 0; rep < ctx.settings.reps; rep++) {
        const order: XetMode[] = rep % 2 === 0 ? ['serve', 'http'] : ['http', 'serve'];
        for (const mode of order) {
          const dataDir = ctx.freshDir(`xet-${mode}`);
          const mirror = await LAUNCHERS.embedded({
            repoRoot: ctx.settings.repoRoot,
            upstream: sim.url,
            trustedOrigins: [sim.cdnUrl, sim.casUrl],
            dataDir,
            env: { DINGO_XET_MODE: mode },
          });
          try {
            const c = await download(mirror, sha256);
            cold[mode].push(c);
            sim.stats.reset();
            const h = await download(mirror, sha256);
            warm[mode].push(h);
            upstreamWarmBytes[mode].push(sim.stats.bytesServed());
            ctx.log(
              `  rep ${rep + 1}/${ctx.settings.reps} ${mode}: cold ${mibPerSecond(c.bytes, c.seconds).toFixed(0)} MiB/s, ` +
                `warm ${mibPerSecond(h.bytes, h.seconds).toFixed(0)} MiB/s`,
            );
          } finally {
            await mirror.stop();
            ctx.removeDir(dataDir);
          }
        }
      }
      const mibs = (t: Timed[]) => t.map((x) => mibPerSecond(x.bytes, x.seconds));
      return {
        rows: [
          {
            metric: `warm (cached) ${(size / MiB).toFixed(0)} MiB, MiB/s`,
            mirror: measure('MiB/s', mibs(warm.serve)),
            baselineName: 'HTTP through mirror',
            baseline: measure('MiB/s', mibs(warm.http)),
            ratio: pairedRatio(mibs(warm.serve), mibs(warm.http)),
            ratioMeaning: 'Xet/HTTP, higher is better for Xet',
          },
          {
            metric: `cold (mirror empty) ${(size / MiB).toFixed(0)} MiB, MiB/s`,
            mirror: measure('MiB/s', mibs(cold.serve)),
            baselineName: 'HTTP through mirror',
            baseline: measure('MiB/s', mibs(cold.http)),
            ratio: pairedRatio(mibs(cold.serve), mibs(cold.http)),
            ratioMeaning: 'Xet/HTTP, higher is better for Xet',
          },
          {
            metric: 'upstream bytes during warm downloads',
            mirror: measure('B', upstreamWarmBytes.serve),
            baselineName: 'HTTP through mirror',
            baseline: measure('B', upstreamWarmBytes.http),
            note: 'target 0',
          },
        ],
        details: { fileBytes: size, cold, warm, upstreamWarmBytes },
      };
    } finally {
      await sim.stop();
      ctx.removeDir(simDir);
    }
  },
};

const SCRIPT = `
import hashlib, json, os, sys, time
from huggingface_hub import hf_hub_download
t = time.perf_counter()
p = hf_hub_download('bench/xet', 'model.safetensors')
s = time.perf_counter() - t
h = hashlib.sha256()
with open(p, 'rb') as f:
    for b in iter(lambda: f.read(1 << 20), b''):
        h.update(b)
print(json.dumps({'seconds': s, 'bytes': os.path.getsize(p), 'sha256': h.hexdigest()}))
`;

/** One hf_hub_download through the mirror in a fresh HF_HOME; checks the bytes. */
async function download(mirror: MirrorDeployment, sha256: string): Promise<Timed> {
  const home = await mkdtemp(join(tmpdir(), 'dingo-bench-xethome-'));
  try {
    const out = JSON.parse(
      await runPythonXet(SCRIPT, { HF_ENDPOINT: mirror.url, HF_HOME: home }, 900_000),
    ) as Timed & { sha256: string };
    if (out.sha256 !== sha256) throw new Error(`downloaded bytes differ (sha256 ${out.sha256})`);
    return { seconds: out.seconds, bytes: out.bytes };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
