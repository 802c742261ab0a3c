import { existsSync } from 'node:fs';
import { AccessWorld, startAccessWorld } from '../access/fixtures';
import { pushPython, runHubClientPush } from './hub-client-push';

/** The real huggingface_hub 2.0 (no hf_xet) pushes to a hosted repo and downloads it back. */
describe('hosted repos with the real huggingface_hub client', () => {
  let w: AccessWorld;
  let token: string;

  beforeAll(async () => {
    if (!existsSync(pushPython()))
      throw new Error(`no venv at ${pushPython()}: run e2e/python/setup-venvs.sh`);
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
    expect(await runHubClientPush({ endpoint: w.url, token })).toMatch(/^ok: /m);
  }, 300_000);
});
