import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ProfileSummary } from '../lib/cpu-profile';
import { DeploymentMode, LAUNCHERS, MirrorDeployment } from '../lib/deployments';
import { BenchSettings } from '../lib/settings';
import { SimFileSummary, SimInstanceName, SimulatorProcess } from '../lib/simulator';
import { Measure } from '../lib/stats';

/** One line of the printed table (and of `rows` in the JSON report). */
export interface TableRow {
  metric: string;
  mirror?: Measure;
  /** What the mirror is compared with: nginx, direct upstream, a bare Node server. */
  baselineName?: string;
  baseline?: Measure;
  /** Median of the per-rep ratios; `ratioMeaning` says which way is better. */
  ratio?: Measure;
  ratioMeaning?: string;
  note?: string;
}

export interface ScenarioOutcome {
  rows: TableRow[];
  /** Everything else worth keeping (per-client timings, upstream request counts...). */
  details?: Record<string, unknown>;
  /** CPU profiles of the mirror taken where its ratio was poor: where the time went. */
  profiles?: Array<ProfileSummary & { label: string }>;
}

export interface ScenarioResult extends ScenarioOutcome {
  id: string;
  title: string;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  durationS: number;
  /** CPU that other programs on the machine used while the scenario ran (noise indicator). */
  foreignLoad?: { foreignCpuS: number; foreignCores: number; stealS: number };
}

export interface Scenario {
  id: string;
  title: string;
  /** False for scenarios that only report what others measured: no point waiting for a quiet machine. */
  measures?: (settings: BenchSettings) => boolean;
  run(ctx: BenchContext): Promise<ScenarioOutcome>;
}

/** A scenario that has nothing to measure here (e.g. a mode not built yet): shown as such, never faked. */
export class ScenarioSkipped extends Error {}

/** The files the simulator serves for the scenarios. */
export interface BenchFiles {
  /** Scenario 1 (fast upstream): the big cached file. */
  hit: SimFileSummary;
  /** Scenario 5 (fast upstream): a small regular file for HEAD. */
  config: SimFileSummary;
  /** Scenario 2 (shaped upstream). */
  cold: SimFileSummary;
  /** Scenario 3 (shaped upstream): one cold file per probe. */
  ttfb: SimFileSummary[];
  /** Scenario 4 (shaped upstream). */
  coalesce: SimFileSummary;
}

export function resolvePath(file: SimFileSummary): string {
  return `/${file.repo}/resolve/main/${file.path.split('/').map(encodeURIComponent).join('/')}`;
}

/** What scenarios share: settings, the simulator, binaries, and a way to start mirrors. */
export class BenchContext {
  /** Results a later scenario builds on (memory, modes), keyed by scenario id. */
  readonly shared = new Map<string, unknown>();
  private dirSeq = 0;

  constructor(
    readonly settings: BenchSettings,
    readonly sim: SimulatorProcess,
    readonly files: BenchFiles,
    readonly nginxBin: string,
    readonly runDir: string,
    readonly log: (line: string) => void,
  ) {}

  /** A new empty directory under this run's scratch space. */
  freshDir(name: string): string {
    const dir = join(this.runDir, `${name}-${++this.dirSeq}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    return dir;
  }

  removeDir(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
  }

  /**
   * Starts a mirror in `mode` in front of simulator `upstream`, cold unless `dataDir` holds a cache;
   * `env` adds DINGO_* settings for this mirror only.
   */
  startMirror(
    mode: DeploymentMode,
    upstream: SimInstanceName,
    dataDir: string,
    env?: Record<string, string>,
  ): Promise<MirrorDeployment> {
    return LAUNCHERS[mode]({
      repoRoot: this.settings.repoRoot,
      upstream: this.sim.urls[upstream].hub,
      trustedOrigins: [this.sim.urls[upstream].cdn],
      dataDir,
      env,
    });
  }

  /** Runs `fn` against a mirror started for it and stopped afterwards, whatever happens. */
  async withMirror<T>(
    mode: DeploymentMode,
    upstream: SimInstanceName,
    dataDir: string,
    fn: (mirror: MirrorDeployment) => Promise<T>,
  ): Promise<T> {
    const mirror = await this.startMirror(mode, upstream, dataDir);
    try {
      return await fn(mirror);
    } finally {
      await mirror.stop();
    }
  }
}
