import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@dingo/testing';
import { startControlServer, tapWorld } from './control-server';
import { startPythonWorld, writeWorldJson } from './world';
import {
  caseName,
  CaseResult,
  ensureVenvs,
  formatTable,
  PY_DIR,
  pythonOf,
  REPO_ROOT,
  RunResult,
  runPytest,
  SETUPS,
} from './python-setups';

/**
 * The real Python clients (huggingface_hub 2.0 with and without hf_xet, 1.33 with transformers and
 * datasets, and the dingospeed package) against an embedded gateway in front of the upstream
 * simulator. Each set-up gets a fresh world and runs every case in e2e/python/cases and
 * clients/python/tests; a table of case x set-up is printed at the end.
 * `DINGO_PY_SETUPS=hub2,hub1`, `DINGO_PY_K=<pytest -k expr>` and `DINGO_PY_PYTEST_ARGS` (e.g. `-rP` to
 * see the output of passing cases) shape a local run.
 */
const only = process.env.DINGO_PY_SETUPS?.split(',');
const setups = SETUPS.filter((s) => !only || only.includes(s.name));
const NO_BYPASS = 'jest::no_request_bypassed_the_mirror';

describe('Python clients through the mirror', () => {
  const runs = new Map<string, RunResult>();
  const scratch = tempDir('py-e2e');
  const fixturesDir = join(scratch.path, 'fixtures');

  beforeAll(() => {
    const venvs = ensureVenvs();
    process.stdout.write(`e2e/python: venvs ready in ${venvs.seconds.toFixed(0)} s\n`);
    // The tiny model and datasets are made by transformers/pandas themselves (hub1 has them).
    const hub1 = SETUPS.find((s) => s.name === 'hub1')!;
    const gen = spawnSync(pythonOf(hub1), [join(PY_DIR, 'fixtures', 'make_fixtures.py'), fixturesDir], {
      encoding: 'utf8',
      timeout: 5 * 60_000,
      env: { ...process.env, HF_HUB_OFFLINE: '1', HF_HUB_DISABLE_TELEMETRY: '1' },
    });
    if (gen.status !== 0) throw new Error(`make_fixtures.py failed:\n${gen.stdout}\n${gen.stderr}`);
  }, 25 * 60_000);

  afterAll(() => {
    if (runs.size) process.stdout.write(`\ne2e/python results\n${formatTable(runs)}\n`);
    scratch.cleanup();
  });

  for (const setup of setups) {
    it(
      `${setup.name} (${setup.label}): every case passes`,
      async () => {
        const w = await startPythonWorld(fixturesDir);
        const tap = tapWorld(w);
        const control = await startControlServer(w, tap);
        const dir = join(scratch.path, setup.name);
        mkdirSync(dir, { recursive: true });
        let run: RunResult;
        try {
          const worldFile = join(scratch.path, `world-${setup.name}.json`);
          writeWorldJson(w, worldFile, { fixturesDir });
          const env: Record<string, string> = {};
          for (const [k, v] of Object.entries(process.env)) {
            if (
              v !== undefined &&
              !/^(HF_|HUGGINGFACE_|DINGO_|TRANSFORMERS_|PYTEST_|PYTHON|VIRTUAL_ENV$|XDG_CONFIG_HOME$)/.test(k)
            )
              env[k] = v;
          }
          Object.assign(env, {
            HF_ENDPOINT: w.gateway.url,
            HF_HOME: join(dir, 'hf-home'),
            HF_HUB_DISABLE_TELEMETRY: '1',
            DINGO_CONTROL: control.url,
            DINGO_WORLD: worldFile,
          });
          run = await runPytest(setup, {
            paths: [join(PY_DIR, 'cases'), join(REPO_ROOT, 'clients', 'python', 'tests')],
            extraArgs: [
              ...(process.env.DINGO_PY_K ? ['-k', process.env.DINGO_PY_K] : []),
              ...(process.env.DINGO_PY_PYTEST_ARGS?.split(' ').filter(Boolean) ?? []),
            ],
            env,
            workDir: dir,
            timeoutMs: 25 * 60_000,
          });
          // Proof that the clients only ever talked to the mirror: the simulator saw nothing but the gateway.
          const bypassing = tap.bypassing();
          run.cases.push({
            id: NO_BYPASS,
            outcome: bypassing.length === 0 ? 'passed' : 'failed',
            seconds: 0,
            message: bypassing.length
              ? `${bypassing.length} request(s) reached the upstream without the mirror, e.g. ${JSON.stringify(bypassing.slice(0, 5))}`
              : undefined,
          });
        } finally {
          tap.close();
          await control.close();
          await w.close();
        }
        runs.set(setup.name, run);
        const bad = run.cases.filter((c: CaseResult) => c.outcome !== 'passed');
        if (bad.length || process.env.DINGO_PY_PYTEST_ARGS) {
          process.stdout.write(`\n--- pytest output (${setup.name}) ---\n${run.output.slice(-20_000)}\n`);
        }
        expect(bad.map((c) => `${caseName(c.id)}: ${c.outcome}: ${c.message ?? ''}`)).toEqual([]);
        if (!process.env.DINGO_PY_K) expect(run.cases.length).toBeGreaterThan(50);
      },
      30 * 60_000,
    );
  }
});
