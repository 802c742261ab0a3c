import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from '@dingo/testing';
import { pythonOf, SETUPS } from '../python/python-setups';

const HUB2 = SETUPS.find((s) => s.name === 'hub2')!;

/** The interpreter that runs hub_client_push.py: huggingface_hub 2.0 without hf_xet. */
export const pushPython = (): string => pythonOf(HUB2);

/**
 * Runs hub_client_push.py (the real huggingface_hub pushing to a hosted repo and reading it back)
 * against `endpoint`, downloads through `readEndpoint` when given (another gateway of a cluster).
 * Asynchronously: the gateway may answer from this very process. Throws with the script's output
 * unless it exits 0; resolves with its stdout.
 */
export async function runHubClientPush(opts: {
  endpoint: string;
  token: string;
  readEndpoint?: string;
}): Promise<string> {
  const home = tempDir('hosted-py');
  try {
    const res = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
      execFile(
        pushPython(),
        [join(__dirname, 'hub_client_push.py')],
        {
          encoding: 'utf8',
          timeout: 240_000,
          env: {
            PATH: process.env.PATH,
            HF_ENDPOINT: opts.endpoint,
            ...(opts.readEndpoint && { HF_READ_ENDPOINT: opts.readEndpoint }),
            HF_TOKEN: opts.token,
            HF_HOME: home.path,
            HF_HUB_DISABLE_TELEMETRY: '1',
            HF_HUB_DISABLE_PROGRESS_BARS: '1',
          },
        },
        (err, stdout, stderr) => done({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }),
      ),
    );
    if (res.code !== 0) throw new Error(`python exited ${res.code}:\n${res.stdout}\n${res.stderr}`);
    return res.stdout;
  } finally {
    home.cleanup();
  }
}
