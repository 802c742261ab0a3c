// huggingface_hub refuses plain HTTP for files above MAX_HTTP_DOWNLOAD_SIZE (50 GB; no env setting
// in 2.0.0, so the test lowers the module constant in-process): through an HTTP-only mirror such a
// file cannot be downloaded at all; through the Xet-serving mirror it can.
import { pythonWithXet } from '@dingo/hub-simulator';
import { MiB, pythonDownload, startXetWorld, type XetWorld } from './xet-world';

const LIMIT = 4 * MiB; // the model file is 6 MiB + 12345 bytes
const PRELUDE = `import huggingface_hub.constants as _c\n_c.MAX_HTTP_DOWNLOAD_SIZE = ${LIMIT}`;
const BIG = [{ repoType: 'model', repoId: 'org/xet-model', path: 'model.safetensors' }];

describe('a file above the client HTTP limit (test-sized: limit lowered to 4 MiB)', () => {
  beforeAll(() => pythonWithXet(), 300_000);

  describe('HTTP-only mirror (DINGO_XET_MODE=http)', () => {
    let w: XetWorld;
    beforeAll(async () => {
      w = await startXetWorld({ xet: { mode: 'http' } });
    });
    afterAll(async () => w?.close());

    it('the client refuses to download it', async () => {
      await expect(pythonDownload(w.gateway.url, BIG, { prelude: PRELUDE })).rejects.toThrow(
        /too large to be downloaded/,
      );
      // A file under the limit still downloads over HTTP.
      const got = await pythonDownload(
        w.gateway.url,
        [{ repoType: 'model', repoId: 'org/xet-model', path: 'tokenizer.bin' }],
        {
          prelude: PRELUDE,
        },
      );
      expect(got[0].sha256).toBe(w.sim.repo('model', 'org/xet-model')!.file('main', 'tokenizer.bin')!.sha256);
      expect(w.sim.stats.count({ origin: 'cas' })).toBe(0);
    });
  });

  describe('Xet-serving mirror (DINGO_XET_MODE=serve)', () => {
    let w: XetWorld;
    beforeAll(async () => {
      w = await startXetWorld({ xet: { mode: 'serve' } });
    });
    afterAll(async () => w?.close());

    it('the client downloads it over Xet, bytes identical', async () => {
      const got = await pythonDownload(w.gateway.url, BIG, { prelude: PRELUDE });
      expect(got[0].size).toBeGreaterThan(LIMIT);
      expect(got[0].sha256).toBe(
        w.sim.repo('model', 'org/xet-model')!.file('main', 'model.safetensors')!.sha256,
      );
    });
  });
});
