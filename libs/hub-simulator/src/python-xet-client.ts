import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pythonOf } from '@dingo/test-infra';

const run = promisify(execFile);

/** The client versions the Xet suites are written against. */
export const PYTHON_XET_PACKAGES = ['huggingface_hub==2.0.0', 'hf_xet==1.6.0'];

let cached: Promise<string> | undefined;

/**
 * A Python interpreter with huggingface_hub 2.0.0 and hf_xet 1.6.0: `DINGO_PYTHON_XET` when set,
 * else the `hub2-xet` set-up of e2e/python/setup-venvs.sh. Throws, loudly, when it is missing or
 * lacks the packages: a Xet suite must not pass by skipping its real client.
 */
export function pythonWithXet(): Promise<string> {
  cached ??= locate();
  return cached;
}

async function locate(): Promise<string> {
  const python = process.env.DINGO_PYTHON_XET || pythonOf('hub2-xet');
  const check = `import huggingface_hub, hf_xet; print(huggingface_hub.__version__)`;
  const { stdout } = await run(python, ['-c', check]).catch((err: Error) => {
    throw new Error(`${python} cannot import huggingface_hub and hf_xet: ${err.message}`);
  });
  if (stdout.trim() !== '2.0.0')
    throw new Error(`${python} has huggingface_hub ${stdout.trim()}, want 2.0.0`);
  return python;
}

/** Runs a Python script with the Xet-capable interpreter; resolves with its stdout (stderr on failure). */
export async function runPythonXet(
  script: string,
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<string> {
  const python = await pythonWithXet();
  try {
    const { stdout } = await run(python, ['-c', script], {
      env: {
        PATH: process.env.PATH ?? '',
        HF_HUB_DISABLE_TELEMETRY: '1',
        HF_HUB_DISABLE_PROGRESS_BARS: '1',
        ...env,
      },
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`Python client failed: ${e.message}\n${(e.stderr ?? '').slice(-4000)}`);
  }
}

/**
 * A script downloading `files` (repo type, id, path, revision) with hf_hub_download and printing
 * one JSON line per file: its sha256 and size. Extra Python may run first (e.g. to patch limits).
 */
export function downloadScript(
  files: { repoType: string; repoId: string; path: string; revision?: string }[],
  prelude = '',
): string {
  return [
    'import hashlib, json, os',
    prelude,
    'from huggingface_hub import hf_hub_download',
    `for f in ${JSON.stringify(files)}:`,
    "    p = hf_hub_download(f['repoId'], f['path'], repo_type=f['repoType'], revision=f.get('revision'))",
    "    h = hashlib.sha256(open(p, 'rb').read()).hexdigest()",
    "    print(json.dumps({'path': f['path'], 'sha256': h, 'size': os.path.getsize(p)}))",
  ].join('\n');
}
