import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@dingo/testing';
import { AccessWorld, startAccessWorld } from '../access/fixtures';
import { pythonOf, SETUPS } from '../python/python-setups';

const HUB2 = SETUPS.find((s) => s.name === 'hub2')!;

/** The real huggingface_hub 2.0 (no hf_xet) pushes to a hosted repo and downloads it back. */
describe('hosted repos with the real huggingface_hub client', () => {
  let w: AccessWorld;
  let token: string;

  beforeAll(async () => {
    if (!existsSync(pythonOf(HUB2)))
      throw new Error(`no venv at ${pythonOf(HUB2)}: run e2e/python/setup-venvs.sh`);
    w = await startAccessWorld({}, { localNamespaces: ['acme'] });
    const up = await w.user('py-up');
    await w.team(
      'py-uploaders',
      [up],
      [
        { role: 'uploader', pattern: 'acme/*' },
        { role: 'uploader', pattern: 'elsewhere/*' },
      ],
    );
    token = up.token;
  }, 60_000);
  afterAll(() => w?.close());

  it('create_repo, upload_file, upload_folder, create_commit, branches, tags, then downloads byte-identical', async () => {
    const home = tempDir('hosted-py');
    try {
      // Asynchronously: the gateway answers from this very process.
      const res = await new Promise<{ status: number | null; stdout: string; stderr: string }>((done) =>
        execFile(
          pythonOf(HUB2),
          [join(__dirname, 'hub_client_push.py')],
          {
            encoding: 'utf8',
            timeout: 240_000,
            env: {
              PATH: process.env.PATH,
              HF_ENDPOINT: w.url,
              HF_TOKEN: token,
              HF_HOME: home.path,
              HF_HUB_DISABLE_TELEMETRY: '1',
              HF_HUB_DISABLE_PROGRESS_BARS: '1',
            },
          },
          (err, stdout, stderr) => done({ status: err ? ((err.code as number) ?? -1) : 0, stdout, stderr }),
        ),
      );
      if (res.status !== 0) throw new Error(`python exited ${res.status}:\n${res.stdout}\n${res.stderr}`);
      expect(res.stdout).toMatch(/^ok: /m);
    } finally {
      home.cleanup();
    }
  }, 300_000);
});
