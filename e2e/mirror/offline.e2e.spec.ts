import { http, sha256 } from '@dingo/testing';
import { startWorld, TOKEN, World } from './fixtures';

/** Stale-if-error: with every TTL expired, what is cached keeps working while upstream is down. */
describe('offline mode with expired metadata', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ revisionTtlSeconds: 0, authVerdictTtlSeconds: 0 });
  });
  afterAll(() => w.close());

  it('serves cached metadata and files, refuses what it cannot check, and answers uncached with 503', async () => {
    const g = w.gateway.url;
    const auth = { authorization: `Bearer ${TOKEN}` };
    const model = w.sim.repo('model', 'org/model')!;
    await http(`${g}/api/models/org/model/revision/main`);
    await http(`${g}/org/model/resolve/main/model.safetensors`);
    await http(`${g}/org/gated-model/resolve/main/config.json`, { headers: auth });
    await w.sim.stop();
    try {
      const info = await http(`${g}/api/models/org/model/revision/main`);
      expect(info.status).toBe(200);
      expect(info.headers['x-dingo-cache']).toBe('STALE');
      const head = await http(`${g}/org/model/resolve/main/model.safetensors`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers['x-repo-commit']).toBe(model.resolve('main')!.sha);
      const body = await http(`${g}/org/model/resolve/main/model.safetensors`);
      expect(sha256(body.body)).toBe(model.file('main', 'model.safetensors')!.sha256);
      // Gated: the approved token keeps access within the offline grace; anonymous cannot be checked.
      expect((await http(`${g}/org/gated-model/resolve/main/config.json`, { headers: auth })).status).toBe(
        200,
      );
      const anon = await http(`${g}/org/gated-model/resolve/main/config.json`);
      expect(anon.status).toBe(503);
      const missing = await http(`${g}/org/model/resolve/main/README.md`);
      expect(missing.status).toBe(503);
      expect(missing.headers['x-error-code']).toBe('UpstreamUnavailable');
      expect(missing.headers['x-error-message']).toMatch(/unreachable/);
    } finally {
      await w.sim.restart();
    }
  });
});
