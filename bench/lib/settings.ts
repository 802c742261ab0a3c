import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseSize } from '@dingo/config';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** Everything a run is parameterised by; read once from DINGO_BENCH_* (see bench/README.md). */
export interface BenchSettings {
  quick: boolean;
  reps: number;
  /** Scenario ids to run (all when DINGO_BENCH_ONLY is unset). */
  only?: string[];
  repoRoot: string;
  /** Scratch space: simulator contents (kept across runs), gateway data dirs, nginx prefix. */
  workDir: string;
  outFile: string;
  cacheHit: { size: number; clients: number[] };
  cold: { size: number };
  /** Issue 12: the file read back from the cold tier. */
  coldTier: { size: number };
  /** Issue 10: the file `dingo pull`, aria2c and `hf download` fetch cold. */
  cliPull: { size: number };
  /** Issue 9: the object uploaded to a hosted repo. */
  upload: { size: number };
  /** Issue 11: the big cold file pulled in 1 MiB and in 16 MiB chunks. */
  bigFile: { size: number };
  ttfb: { probes: number; size: number };
  coalesce: { size: number; clients: number };
  /** Upstream shaping for the cold scenarios (2-4). */
  upstream: { bandwidthPerConnection: number; latencyMs: number };
  /** Two upstreams capped (all connections together) at different speeds: one file from both. */
  twoSource: { size: number; fastBytesPerSec: number; slowBytesPerSec: number };
  api: { durationSeconds: number; connections: number };
  /** 'auto': profile the gateway when a cache-hit ratio falls below `profileBelowRatio`. */
  profile: 'auto' | 'always' | 'never';
  profileBelowRatio: number;
  /**
   * Scenario 7's distributed deployment: `auto` runs it when MariaDB and Redis answer and reports
   * it skipped (with the reason) otherwise; `on` makes an unavailable deployment a failure.
   */
  distributed: 'auto' | 'on' | 'off';
  /** Before each scenario, wait up to this long for other programs to stop loading the machine. */
  quietWaitS: number;
}

export function loadBenchSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const quick = isOn(env.DINGO_BENCH_QUICK);
  const size = (key: string, full: string, small: string) =>
    parseSize(env[key] || (quick ? small : full), key);
  const int = (key: string, full: number, small: number) => {
    const raw = env[key];
    const value = raw ? Number(raw) : quick ? small : full;
    if (!Number.isInteger(value) || value < 0) throw new Error(`${key}: "${raw}" is not a whole number`);
    return value;
  };
  const repoRoot = resolve(__dirname, '..', '..');
  const profile = (env.DINGO_BENCH_PROFILE ?? 'auto').toLowerCase();
  return {
    quick,
    reps: Math.max(1, int('DINGO_BENCH_REPS', 3, 2)),
    only: env.DINGO_BENCH_ONLY
      ? env.DINGO_BENCH_ONLY.split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined,
    repoRoot,
    workDir: resolve(env.DINGO_BENCH_WORK_DIR || join(tmpdir(), 'dingo-bench')),
    outFile: resolve(repoRoot, env.DINGO_BENCH_OUT || 'bench/results/latest.json'),
    cacheHit: {
      size: size('DINGO_BENCH_HIT_SIZE', '1GiB', '256MiB'),
      clients: (env.DINGO_BENCH_HIT_CLIENTS || '1,8').split(',').map((s) => Number(s.trim())),
    },
    cold: { size: size('DINGO_BENCH_COLD_SIZE', '512MiB', '128MiB') },
    coldTier: { size: size('DINGO_BENCH_COLD_TIER_SIZE', '512MiB', '128MiB') },
    cliPull: { size: size('DINGO_BENCH_CLI_PULL_SIZE', '1GiB', '256MiB') },
    upload: { size: size('DINGO_BENCH_UPLOAD_SIZE', '1GiB', '256MiB') },
    bigFile: { size: size('DINGO_BENCH_BIG_SIZE', '4GiB', '1GiB') },
    ttfb: {
      probes: int('DINGO_BENCH_TTFB_PROBES', 5, 3),
      size: size('DINGO_BENCH_TTFB_SIZE', '32MiB', '32MiB'),
    },
    coalesce: {
      size: size('DINGO_BENCH_COALESCE_SIZE', '256MiB', '64MiB'),
      clients: int('DINGO_BENCH_COALESCE_CLIENTS', 32, 16),
    },
    twoSource: {
      size: size('DINGO_BENCH_TWO_SOURCE_SIZE', '64MiB', '48MiB'),
      fastBytesPerSec: size('DINGO_BENCH_TWO_SOURCE_FAST', '6MiB', '6MiB'),
      slowBytesPerSec: size('DINGO_BENCH_TWO_SOURCE_SLOW', '3MiB', '3MiB'),
    },
    upstream: {
      bandwidthPerConnection: size('DINGO_BENCH_UPSTREAM_BANDWIDTH', '20MiB', '20MiB'),
      latencyMs: int('DINGO_BENCH_UPSTREAM_LATENCY_MS', 50, 50),
    },
    api: {
      durationSeconds: int('DINGO_BENCH_API_SECONDS', 5, 2),
      connections: int('DINGO_BENCH_API_CONNECTIONS', 10, 10),
    },
    profile:
      profile === '1' || profile === 'always'
        ? 'always'
        : profile === '0' || profile === 'never'
          ? 'never'
          : 'auto',
    profileBelowRatio: Number(env.DINGO_BENCH_PROFILE_BELOW || 0.8),
    distributed: !env.DINGO_BENCH_DISTRIBUTED ? 'auto' : isOn(env.DINGO_BENCH_DISTRIBUTED) ? 'on' : 'off',
    quietWaitS: int('DINGO_BENCH_QUIET_WAIT', 30, 10),
  };
}

function isOn(value: string | undefined): boolean {
  return value !== undefined && value !== '' && !['0', 'false', 'no', 'off'].includes(value.toLowerCase());
}
