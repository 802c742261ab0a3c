// snapshot_download lists the tree first and, for entries carrying `xetHash`, skips the per-file
// HEAD and goes to Xet with a token route built from HF_ENDPOINT: listings must agree with the mode.
import { pythonWithXet, runPythonXet } from '@dingo/hub-simulator';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startXetWorld, type XetWorld } from './xet-world';

const SCRIPT = `
import hashlib, json, os
from huggingface_hub import snapshot_download
d = snapshot_download('org/xet-model')
out = {}
for root, _, files in os.walk(d):
    for f in files:
        p = os.path.join(root, f)
        out[os.path.relpath(p, d)] = hashlib.sha256(open(p, 'rb').read()).hexdigest()
print(json.dumps(out))
`;

async function snapshot(w: XetWorld): Promise<Record<string, string>> {
  const home = await mkdtemp(join(tmpdir(), 'dingo-xethome-'));
  try {
    return JSON.parse(await runPythonXet(SCRIPT, { HF_ENDPOINT: w.gateway.url, HF_HOME: home }));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

describe('snapshot_download through the mirror', () => {
  beforeAll(() => pythonWithXet(), 300_000);

  for (const mode of ['serve', 'http'] as const) {
    it(`${mode} mode: every file identical, only the mirror talks to upstream`, async () => {
      const w = await startXetWorld({ xet: { mode } });
      try {
        const got = await snapshot(w);
        const repo = w.sim.repo('model', 'org/xet-model')!;
        expect(got).toEqual(
          Object.fromEntries([...repo.resolve('main')!.files.values()].map((f) => [f.path, f.sha256])),
        );
        const strangers = w.sim.stats.requests.filter((r) => !(r.userAgent ?? '').startsWith('dingospeed/'));
        expect(strangers.map((r) => `${r.origin} ${r.method} ${r.path}`)).toEqual([]);
        if (mode === 'serve') expect(w.sim.stats.xetBytesServed()).toBeGreaterThan(0);
        else expect(w.sim.stats.count({ origin: 'cas' })).toBe(0);
      } finally {
        await w.close();
      }
    });
  }
});
