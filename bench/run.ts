// `npm run bench`: the mirror measured against nginx, direct upstream and a bare Node server, on
// loopback, in one run. See bench/README.md for what each number means and the DINGO_BENCH_* knobs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@dingo/config';
import { benchCpuSeconds, ForeignLoadWindow, waitForQuietMachine } from './lib/cpu-time';
import { curlVersion } from './lib/download-clients';
import { ensureNginx, nginxVersion } from './lib/nginx';
import { renderProfiles, renderTable, writeReport } from './lib/report';
import { BenchSettings, GiB, loadBenchSettings, MiB } from './lib/settings';
import { SimulatorProcess } from './lib/simulator';
import { cacheHitScenario } from './scenarios/cache-hit';
import { coalescingScenario } from './scenarios/coalescing';
import { cliPullScenario } from './scenarios/cli-pull';
import { coldDownloadScenario } from './scenarios/cold-download';
import { coldTierScenario } from './scenarios/cold-tier';
import { edgeMemoryScenario, edgePeersScenario } from './scenarios/edges';
import { memoryScenario } from './scenarios/memory';
import { metadataApiScenario } from './scenarios/metadata-api';
import { modesScenario } from './scenarios/modes';
import { BenchContext, BenchFiles, Scenario, ScenarioResult, ScenarioSkipped } from './scenarios/scenario';
import { ttfbScenario } from './scenarios/ttfb';
import { uploadScenario } from './scenarios/upload';
import { twoSourceScenario } from './scenarios/two-source';
import { bigFileScenario } from './scenarios/big-file';
import { xetScenario } from './scenarios/xet';

/** In run order; memory and modes report on what cache-hit and coalescing measured. */
const SCENARIOS: Scenario[] = [
  cacheHitScenario,
  coldDownloadScenario,
  ttfbScenario,
  coalescingScenario,
  metadataApiScenario,
  memoryScenario,
  modesScenario,
  xetScenario,
  coldTierScenario,
  cliPullScenario,
  uploadScenario,
  edgeMemoryScenario,
  edgePeersScenario,
  twoSourceScenario,
  bigFileScenario,
];

const started = Date.now();
const log = (line: string) =>
  console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);

/** The simulator's repos: contents are generated once into the work dir and reused by later runs. */
async function addRepos(sim: SimulatorProcess, s: BenchSettings): Promise<BenchFiles> {
  const hitRepo = await sim.addRepo('fast', {
    type: 'model',
    id: 'bench/hit',
    commits: [
      {
        files: [
          {
            path: 'config.json',
            content: JSON.stringify({ model_type: 'llama', hidden_size: 4096, num_hidden_layers: 32 }),
          },
          { path: 'model.safetensors', size: s.cacheHit.size },
        ],
      },
    ],
  });
  const [cold] = await sim.addRepo('shaped', {
    type: 'model',
    id: 'bench/cold',
    commits: [{ files: [{ path: 'model.safetensors', size: s.cold.size }] }],
  });
  const [coalesce] = await sim.addRepo('shaped', {
    type: 'model',
    id: 'bench/coalesce',
    commits: [{ files: [{ path: 'model.safetensors', size: s.coalesce.size }] }],
  });
  const ttfb = await sim.addRepo('shaped', {
    type: 'model',
    id: 'bench/ttfb',
    commits: [
      {
        files: Array.from({ length: s.ttfb.probes }, (_, i) => ({
          path: `shard-${String(i).padStart(3, '0')}.safetensors`,
          size: s.ttfb.size,
        })),
      },
    ],
  });
  const byPath = (files: typeof hitRepo, path: string) => files.find((f) => f.path === path)!;
  return {
    hit: byPath(hitRepo, 'model.safetensors'),
    config: byPath(hitRepo, 'config.json'),
    cold,
    coalesce,
    ttfb: ttfb.sort((a, b) => a.path.localeCompare(b.path)),
  };
}

/** Which code was measured: the commit, and how many files differed from it. */
function codeUnderTest(repoRoot: string): { commit: string; uncommittedFiles: number } | undefined {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' });
    const changed = git('status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean);
    return { commit: git('rev-parse', 'HEAD').trim(), uncommittedFiles: changed.length };
  } catch {
    return undefined;
  }
}

async function runScenario(scenario: Scenario, ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = Date.now();
  log(`${scenario.title}`);
  const ownCpu = () => benchCpuSeconds([ctx.sim.pid]);
  if (ctx.settings.quietWaitS > 0 && (scenario.measures?.(ctx.settings) ?? true)) {
    const quiet = await waitForQuietMachine(ownCpu, ctx.settings.quietWaitS);
    if (quiet.foreignCores >= 0.25)
      log(`  the machine is busy (${quiet.foreignCores} cores used by other programs); measuring anyway`);
    else if (quiet.waitedS > 2.5) log(`  waited ${quiet.waitedS.toFixed(0)} s for other programs to quieten`);
  }
  const load = new ForeignLoadWindow(ownCpu);
  const base = { id: scenario.id, title: scenario.title };
  try {
    const outcome = await scenario.run(ctx);
    const foreignLoad = load.stop();
    if (foreignLoad.foreignCores >= 0.1 || foreignLoad.stealS >= 1) {
      log(
        `  note: other programs used ${foreignLoad.foreignCores} cores on average meanwhile (steal ${foreignLoad.stealS} s)`,
      );
    }
    return { ...base, status: 'ok', ...outcome, durationS: (Date.now() - t0) / 1000, foreignLoad };
  } catch (err) {
    const skipped = err instanceof ScenarioSkipped;
    log(`  ${skipped ? 'skipped' : 'FAILED'}: ${(err as Error).message}`);
    if (!skipped) console.error((err as Error).stack);
    return {
      ...base,
      status: skipped ? 'skipped' : 'failed',
      reason: (err as Error).message.split('\n')[0],
      rows: [],
      details: skipped ? undefined : { error: String((err as Error).stack ?? err) },
      durationS: (Date.now() - t0) / 1000,
    };
  }
}

async function main(): Promise<void> {
  const settings = loadBenchSettings();
  const selected = SCENARIOS.filter((s) => !settings.only || settings.only.includes(s.id));
  log(
    `DingoSpeed bench${settings.quick ? ' (quick)' : ''}: ${settings.reps} reps; scenarios ${selected.map((s) => s.id).join(', ')}`,
  );
  const code = codeUnderTest(settings.repoRoot);
  const nginxBin = ensureNginx(log);
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round((totalmem() / GiB) * 10) / 10,
    kernel: release(),
    node: process.version,
    nginx: nginxVersion(nginxBin),
    curl: curlVersion(),
  };
  // What the gateway will run with: product defaults plus any DINGO_* tuning in this environment.
  const gw = loadConfig({ ...process.env, DINGO_UPSTREAMS: 'http://127.0.0.1:1' });
  const gatewayConfig = {
    chunkSizeBytes: gw.chunkSizeBytes,
    readAheadChunks: gw.readAheadChunks,
    maxConcurrentPulls: gw.maxConcurrentPulls,
    revisionTtlSeconds: gw.revisionTtlSeconds,
  };
  log(
    `machine: ${machine.cpus} cpus, ${machine.memoryGiB} GiB, node ${machine.node}; gateway ${JSON.stringify(gatewayConfig)}`,
  );

  mkdirSync(settings.workDir, { recursive: true, mode: 0o755 });
  const runDir = join(settings.workDir, `run-${process.pid}`);
  mkdirSync(runDir, { recursive: true, mode: 0o755 });
  log(`starting the upstream simulator (contents in ${join(settings.workDir, 'sim')})`);
  const sim = await SimulatorProcess.start(settings.repoRoot, join(settings.workDir, 'sim'), {
    fast: {},
    shaped: {
      bandwidthPerConnection: settings.upstream.bandwidthPerConnection,
      latencyMs: settings.upstream.latencyMs,
      // A CDN on a host of its own, as on the real Hub: huggingface_hub follows a redirect to the
      // same host name (ports ignored) and would miss the metadata the hub's 302 carries.
      cdnHost: '127.0.0.2',
    },
    uplinkFast: { bandwidthTotal: settings.twoSource.fastBytesPerSec },
    uplinkSlow: { bandwidthTotal: settings.twoSource.slowBytesPerSec },
  });
  const cleanup = async () => {
    await sim.stop().catch(() => undefined);
    rmSync(runDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

  const results: ScenarioResult[] = [];
  try {
    const files = await addRepos(sim, settings);
    log(
      `files ready: hit ${files.hit.size / MiB} MiB, cold ${files.cold.size / MiB} MiB, coalesce ${files.coalesce.size / MiB} MiB, ${files.ttfb.length} TTFB probes`,
    );
    const ctx = new BenchContext(settings, sim, files, nginxBin, runDir, log);
    for (const scenario of selected) results.push(await runScenario(scenario, ctx));
  } finally {
    await cleanup();
  }

  const table = renderTable(results);
  console.log(`\n${table}\n${renderProfiles(results)}\n`);
  const report = {
    schemaVersion: 1,
    startedAt: new Date(started).toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    machine,
    code,
    settings: {
      quick: settings.quick,
      reps: settings.reps,
      cacheHit: settings.cacheHit,
      cold: settings.cold,
      coldTier: settings.coldTier,
      cliPull: settings.cliPull,
      upload: settings.upload,
      bigFile: settings.bigFile,
      ttfb: settings.ttfb,
      coalesce: settings.coalesce,
      upstream: settings.upstream,
      twoSource: settings.twoSource,
      api: settings.api,
      profile: settings.profile,
      distributed: settings.distributed,
      quietWaitS: settings.quietWaitS,
    },
    gatewayConfig,
    units: {
      MiB: 'bytes / 2^20',
      'MiB/s': '2^20 bytes per second',
      ratio: 'median of per-rep ratios (each rep runs both sides back to back)',
    },
    table,
    scenarios: results,
  };
  await writeReport(settings.outFile, report);
  log(`report written to ${settings.outFile} (${report.durationS} s in all)`);
  if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
