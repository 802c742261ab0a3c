import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { AccessWorld, startAccessWorld } from '../access/fixtures';

const MiB = 1024 * 1024;
const BLOCKS = 1024; // 1 GiB

/** A 1 GiB LFS upload streams through the gateway: its memory stays flat, the bytes land intact. */
describe('hosted LFS upload of 1 GiB', () => {
  let w: AccessWorld;
  beforeAll(async () => {
    w = await startAccessWorld({}, { localNamespaces: ['acme'], chunkSizeBytes: 16 * MiB });
  }, 60_000);
  afterAll(() => w?.close());

  it('keeps the RSS of the process flat and stores the object verified', async () => {
    const token = w.adminSession;
    const body = { name: 'huge', organization: 'acme', type: 'model' };
    expect((await w.call('POST', '/api/repos/create', { token, body })).status).toBe(200);
    const block = randomBytes(MiB);
    const hash = createHash('sha256');
    for (let i = 0; i < BLOCKS; i++) hash.update(block);
    const oid = hash.digest('hex');
    const size = BLOCKS * MiB;
    const batch = await fetch(`${w.url}/acme/huge.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/vnd.git-lfs+json' },
      body: JSON.stringify({ operation: 'upload', transfers: ['basic'], objects: [{ oid, size }] }),
    });
    const href = new URL(((await batch.json()) as any).objects[0].actions.upload.href);

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: href.hostname,
          port: href.port,
          path: href.pathname + href.search,
          method: 'PUT',
          headers: { 'content-length': size },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      let sent = 0;
      const pump = () => {
        while (sent < BLOCKS) {
          sent++;
          if (!req.write(block)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    clearInterval(sampler);
    expect(status).toBe(200);
    // Measured ~36 MiB for the whole process (client included): chunks in flight, never the file.
    expect((peak - baseline) / MiB).toBeLessThan(100);

    const commit = await fetch(`${w.url}/api/models/acme/huge/commit/main`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: [
        { key: 'header', value: { summary: 'huge' } },
        { key: 'lfsFile', value: { path: 'huge.bin', algo: 'sha256', oid, size } },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    });
    expect(commit.status).toBe(200);
    const res = await fetch(`${w.url}/acme/huge/resolve/main/huge.bin`);
    const back = createHash('sha256');
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) back.update(part);
    expect(back.digest('hex')).toBe(oid);
  }, 300_000);
});
