import { gunzipSync, gzipSync } from 'node:zlib';
import type { HubSimulator } from './hub-simulator';
import type { SimRepoSpec } from './types';
import { MODEL, rawRequest, sha256, startSim } from './sim-test-fixtures';

const BIG: SimRepoSpec = {
  type: 'model',
  id: 'acme/big',
  commits: [
    {
      files: [
        { path: 'weights.bin', size: 2_000_000 },
        { path: 'plain.bin', size: 2_000_000, lfs: false },
      ],
    },
  ],
};

async function cdnUrlOf(sim: HubSimulator, path: string, id = 'acme/tiny'): Promise<string> {
  return (await rawRequest(`${sim.url}/${id}/resolve/main/${path}`, { method: 'HEAD' })).headers.location!;
}

describe('HubSimulator transport', () => {
  describe('throttling and latency', () => {
    let sim: HubSimulator;
    let cleanup: () => Promise<void>;
    beforeAll(async () => ({ sim, cleanup } = await startSim({ bandwidthPerConnection: 4_000_000 }, [BIG])));
    afterAll(() => cleanup());

    it('caps each connection near the configured rate, on the CDN and on hub resolve', async () => {
      const cdn = await rawRequest(await cdnUrlOf(sim, 'weights.bin', 'acme/big'));
      expect(cdn.body.length).toBe(2_000_000);
      expect(cdn.ms).toBeGreaterThan(420);
      expect(cdn.ms).toBeLessThan(650);
      const hub = await rawRequest(`${sim.url}/acme/big/resolve/main/plain.bin`);
      expect(hub.body.length).toBe(2_000_000);
      expect(hub.ms).toBeGreaterThan(420);
      expect(hub.ms).toBeLessThan(650);
    });

    it('throttles connections independently', async () => {
      const url = await cdnUrlOf(sim, 'weights.bin', 'acme/big');
      let started = performance.now();
      await rawRequest(url);
      const alone = performance.now() - started;
      started = performance.now();
      const both = await Promise.all([rawRequest(url), rawRequest(url)]);
      const together = performance.now() - started;
      expect(both.map((r) => r.body.length)).toEqual([2_000_000, 2_000_000]);
      // A shared budget would take twice as long for two; measured against one transfer, in the same
      // conditions, so a busy machine does not decide the outcome.
      expect(together).toBeLessThan(alone * 1.5);
    });
  });

  describe('latency and gzip', () => {
    let sim: HubSimulator;
    let cleanup: () => Promise<void>;
    beforeAll(
      async () => ({ sim, cleanup } = await startSim({ latencyMs: 150, gzipTextFiles: true }, [MODEL])),
    );
    afterAll(() => cleanup());

    it('delays every response', async () => {
      const res = await rawRequest(`${sim.url}/api/models/acme/tiny`);
      expect(res.status).toBe(200);
      expect(res.ms).toBeGreaterThanOrEqual(145);
    });

    it('gzips text files for clients that accept it', async () => {
      const url = `${sim.url}/acme/tiny/resolve/main/config.json`;
      const gz = await rawRequest(url, { headers: { 'Accept-Encoding': 'gzip, deflate' } });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.body).toString()).toBe('{"model_type":"gpt2","n_layer":2}');
      const identity = await rawRequest(url, { method: 'HEAD', headers: { 'Accept-Encoding': 'identity' } });
      expect(identity.headers['content-encoding']).toBeUndefined();
      expect(identity.headers['content-length']).toBe('33');
    });
  });

  describe('faults', () => {
    let sim: HubSimulator;
    let cleanup: () => Promise<void>;
    beforeAll(async () => ({ sim, cleanup } = await startSim({}, [MODEL])));
    afterAll(() => cleanup());
    beforeEach(() => {
      sim.clearFaults();
      sim.stats.reset();
    });
    const file = () => sim.repo('model', 'acme/tiny')!.file('main', 'model.safetensors')!;

    it('reset: cuts the body after N bytes; only those bytes are counted', async () => {
      sim.injectFault(/model\.safetensors/, { kind: 'reset', afterBytes: 100_000 });
      const redirect = await rawRequest(`${sim.url}/acme/tiny/resolve/main/model.safetensors`);
      expect(redirect.status).toBe(302); // too short a body to reach the fault: not consumed
      const cut = await rawRequest(redirect.headers.location!);
      expect(cut.status).toBe(200);
      expect(cut.error).toBeDefined();
      expect(cut.body.length).toBe(100_000);
      expect(sim.stats.bytesServed({ sha256: file().sha256 })).toBe(100_000);
      expect(sim.stats.bytesServed({ path: 'model.safetensors' })).toBe(100_000);

      const again = await rawRequest(redirect.headers.location!, { headers: { Range: 'bytes=100000-' } });
      expect(again.status).toBe(206);
      expect(sha256(Buffer.concat([cut.body, again.body]))).toBe(file().sha256);
      expect(sim.stats.bytesServed()).toBe(file().size);
    });

    it('reset with afterBytes 0 drops the connection right after the headers', async () => {
      sim.injectFault(/config\.json/, { kind: 'reset', afterBytes: 0 }, 2);
      const url = `${sim.url}/acme/tiny/resolve/main/config.json`;
      const first = await rawRequest(url);
      expect(first.error).toBeDefined();
      expect(first.body.length).toBe(0);
      expect((await rawRequest(url, { method: 'HEAD' })).status).toBe(200);
      expect((await rawRequest(url)).body.toString()).toContain('gpt2');
    });

    it('status: answers with a Hub-like error `times` times, then recovers', async () => {
      sim.injectFault(/^\/api\/models\/acme\/tiny$/, { kind: 'status', status: 503 }, 2);
      const url = `${sim.url}/api/models/acme/tiny`;
      const first = await rawRequest(url);
      expect(first.status).toBe(503);
      expect(JSON.parse(first.body.toString())).toEqual({ error: 'Service Unavailable' });
      expect(first.headers['x-request-id']).toBeDefined();
      expect((await rawRequest(url)).status).toBe(503);
      expect((await rawRequest(url)).status).toBe(200);
      expect(sim.stats.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    });

    it('status on the CDN answers in XML', async () => {
      const location = await cdnUrlOf(sim, 'model.safetensors');
      sim.injectFault(/^\/repos\//, { kind: 'status', status: 500 });
      const res = await rawRequest(location);
      expect(res.status).toBe(500);
      expect(res.body.toString()).toContain('<Code>InternalError</Code>');
    });

    it('slow-start: delays the headers', async () => {
      sim.injectFault(/whoami/, { kind: 'slow-start', delayMs: 300 });
      const res = await rawRequest(`${sim.url}/api/whoami-v2`);
      expect(res.status).toBe(401);
      expect(res.ms).toBeGreaterThanOrEqual(290);
    });

    it('stall: sends N bytes then nothing, keeping the connection open', async () => {
      const location = await cdnUrlOf(sim, 'model.safetensors');
      sim.injectFault(/^\/repos\//, { kind: 'stall', afterBytes: 5000 });
      const res = await rawRequest(location, { timeoutMs: 400 });
      expect(res.status).toBe(200);
      expect(res.error?.message).toMatch(/timeout|aborted/);
      expect(res.body.length).toBe(5000);
      expect(res.ms).toBeGreaterThanOrEqual(390);
      expect(sim.stats.bytesServed()).toBe(5000);
    });

    it('body: answers with exact bytes over the original headers, with another status if asked', async () => {
      const url = `${sim.url}/api/models/acme/tiny`;
      sim.injectFault(/^\/api\/models\/acme\/tiny$/, {
        kind: 'body',
        body: '<html>maintenance</html>',
        headers: { 'Content-Type': 'text/html' },
      });
      const page = await rawRequest(url);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html');
      expect(page.headers['x-request-id']).toBeDefined(); // the Hub's own headers stay
      expect(page.body.toString()).toBe('<html>maintenance</html>');
      expect(page.headers['content-length']).toBe(String(page.body.length));

      const gz = gzipSync(Buffer.alloc(1 << 20));
      sim.injectFault(/^\/api\/models\/acme\/tiny$/, {
        kind: 'body',
        status: 404,
        body: gz,
        headers: { 'Content-Encoding': 'gzip' },
      });
      const bomb = await rawRequest(url);
      expect(bomb.status).toBe(404);
      expect(bomb.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(bomb.body).length).toBe(1 << 20);
      expect((await rawRequest(url)).status).toBe(200); // used up
    });

    it('clearFaults disarms everything', async () => {
      sim.injectFault(/./, { kind: 'status', status: 500 }, 10);
      sim.clearFaults();
      expect((await rawRequest(`${sim.url}/api/models/acme/tiny`)).status).toBe(200);
    });
  });

  describe('stop and restart', () => {
    it('goes offline, cutting open connections, and comes back on the same ports', async () => {
      const { sim, cleanup } = await startSim({}, [MODEL]);
      try {
        const { url, cdnUrl } = sim;
        const location = await cdnUrlOf(sim, 'model.safetensors');
        sim.injectFault(/^\/repos\//, { kind: 'stall', afterBytes: 1000 });
        const stalled = rawRequest(location);
        await new Promise((r) => setTimeout(r, 100));
        await sim.stop();
        const cut = await stalled;
        expect(cut.error).toBeDefined();
        expect(cut.body.length).toBe(1000);
        const offline = await rawRequest(`${url}/api/models/acme/tiny`);
        expect((offline.error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');

        await sim.restart();
        expect([sim.url, sim.cdnUrl]).toEqual([url, cdnUrl]);
        expect((await rawRequest(`${url}/api/models/acme/tiny`)).status).toBe(200);
        expect((await rawRequest(location)).body.length).toBe(300_000);
      } finally {
        await cleanup();
      }
    });
  });
});
