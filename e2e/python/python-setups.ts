import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pythonVenvsDir } from '@dingo/test-infra';

export const PY_DIR = __dirname;
export const REPO_ROOT = join(__dirname, '..', '..');

/** One Python client set-up: a venv made by setup-venvs.sh and what it can exercise. */
export interface PySetup {
  name: string;
  label: string;
  /** Matched against @pytest.mark.needs(...) in the cases. */
  features: string[];
}

export const SETUPS: PySetup[] = [
  { name: 'hub2', label: 'hub 2.0.0, no hf_xet', features: [] },
  { name: 'hub2-xet', label: 'hub 2.0.0 + hf_xet 1.6.0', features: ['xet'] },
  {
    name: 'hub1',
    label: 'hub 1.33.0 + hf_xet + transformers 5.17 + datasets 5.0',
    features: ['xet', 'transformers', 'datasets'],
  },
];

export function pythonOf(setup: PySetup): string {
  return join(pythonVenvsDir(), setup.name, 'bin', 'python');
}

/**
 * Runs setup-venvs.sh (a no-op apart from reinstalling clients/python when the venvs are complete).
 * Throws with the script's output when Python or a package cannot be installed: never a skip.
 */
export function ensureVenvs(): { seconds: number; log: string } {
  const t0 = Date.now();
  const res = spawnSync('bash', [join(PY_DIR, 'setup-venvs.sh')], { encoding: 'utf8', timeout: 20 * 60_000 });
  const log = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  if (res.status !== 0) {
    throw new Error(
      `e2e/python/setup-venvs.sh failed (exit ${res.status ?? res.signal}):\n${log.slice(-6000)}`,
    );
  }
  for (const s of SETUPS) {
    if (!existsSync(pythonOf(s))) throw new Error(`venv ${s.name} missing after setup-venvs.sh:\n${log}`);
  }
  return { seconds: (Date.now() - t0) / 1000, log };
}

export interface CaseResult {
  id: string;
  outcome: 'passed' | 'failed' | 'error' | 'skipped';
  seconds: number;
  message?: string;
}

export interface RunResult {
  setup: string;
  cases: CaseResult[];
  notApplicable: string[];
  seconds: number;
  exitstatus: number;
  /** pytest's console output. */
  output: string;
}

/**
 * Runs pytest on `paths` in a set-up's venv with the results plugin (pytest_dingo_results.py);
 * resolves with the per-case JSON it writes into `workDir`, which also holds pytest's basetemp.
 */
export function runPytest(
  setup: PySetup,
  opts: {
    paths: string[];
    extraArgs: string[];
    env: Record<string, string>;
    workDir: string;
    timeoutMs: number;
  },
): Promise<RunResult> {
  const resultsFile = join(opts.workDir, 'results.json');
  writeFileSync(resultsFile, '');
  const args = [
    '-m',
    'pytest',
    ...opts.paths,
    '-p',
    'pytest_dingo_results',
    '--rootdir',
    REPO_ROOT,
    '--basetemp',
    join(opts.workDir, 'tmp'),
    '-q',
    '-rfE',
    '-p',
    'no:cacheprovider',
    '--timeout=300',
    ...opts.extraArgs,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(pythonOf(setup), args, {
      cwd: REPO_ROOT,
      env: {
        ...opts.env,
        PYTHONPATH: PY_DIR,
        PYTHONDONTWRITEBYTECODE: '1',
        DINGO_PY_SETUP: setup.name,
        DINGO_PY_FEATURES: setup.features.join(','),
        DINGO_PY_RESULTS: resultsFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const raw = readFileSync(resultsFile, 'utf8');
      if (!raw) {
        reject(
          new Error(
            `pytest (${setup.name}) wrote no results (exit ${code ?? signal}):\n${output.slice(-8000)}`,
          ),
        );
        return;
      }
      resolve({ ...(JSON.parse(raw) as Omit<RunResult, 'output'>), output });
    });
  });
}

/** `file.py::test_name[param]` -> `file::test_name[param]`, the row name in the table. */
export function caseName(nodeid: string): string {
  const [file, ...rest] = nodeid.split('::');
  return [file.replace(/^.*\//, '').replace(/\.py$/, ''), ...rest].join('::');
}

/** A case x set-up table: PASS, FAIL, n/a (not applicable to that set-up), or blank (not collected). */
export function formatTable(runs: Map<string, RunResult>): string {
  const setups = SETUPS.filter((s) => runs.has(s.name));
  const rows = new Map<string, Record<string, string>>();
  for (const s of setups) {
    const run = runs.get(s.name)!;
    for (const c of run.cases) {
      const row = rows.get(caseName(c.id)) ?? {};
      row[s.name] = c.outcome === 'passed' ? `PASS ${c.seconds.toFixed(1)}s` : c.outcome.toUpperCase();
      rows.set(caseName(c.id), row);
    }
    for (const id of run.notApplicable) {
      const row = rows.get(caseName(id)) ?? {};
      row[s.name] = 'n/a';
      rows.set(caseName(id), row);
    }
  }
  const width = Math.max(...[...rows.keys()].map((k) => k.length), 10);
  const col = 16;
  const lines = [
    `${'case'.padEnd(width)}  ${setups.map((s) => s.name.padEnd(col)).join('')}`,
    `${'-'.repeat(width)}  ${setups.map(() => '-'.repeat(col - 2).padEnd(col)).join('')}`,
  ];
  for (const [name, row] of rows) {
    lines.push(`${name.padEnd(width)}  ${setups.map((s) => (row[s.name] ?? '').padEnd(col)).join('')}`);
  }
  const counts = setups.map((s) => {
    const run = runs.get(s.name)!;
    const passed = run.cases.filter((c) => c.outcome === 'passed').length;
    return `${s.name}: ${passed} passed, ${run.cases.length - passed} failed, ${run.notApplicable.length} n/a (${run.seconds}s)`;
  });
  return [...lines, '', ...setups.map((s) => `${s.name} = ${s.label}`), ...counts].join('\n');
}
