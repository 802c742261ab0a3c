import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The Python client set-ups the suites run real clients in, made by `e2e/python/setup-venvs.sh`
 * (which `npm test` runs first): `hub2` (huggingface_hub 2.0.0 without hf_xet), `hub2-xet` (with
 * hf_xet 1.6.0, what `pip install huggingface_hub` gives today), `hub1` (1.33.0 with transformers
 * and datasets, which need huggingface_hub < 2).
 */
export type PythonSetup = 'hub2' | 'hub2-xet' | 'hub1';

export function pythonVenvsDir(): string {
  return process.env.DINGO_PY_VENVS ?? join(homedir(), '.cache', 'dingospeed', 'py-venvs');
}

/** The interpreter of a set-up; throws (never skips) when it has not been created. */
export function pythonOf(setup: PythonSetup): string {
  const python = join(pythonVenvsDir(), setup, 'bin', 'python');
  if (!existsSync(python))
    throw new Error(
      `No Python set-up "${setup}" at ${python}: run \`bash e2e/python/setup-venvs.sh\` (npm test does it first)`,
    );
  return python;
}
