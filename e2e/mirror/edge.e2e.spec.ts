import { http, sha256, startEmbeddedGateway, RunningGateway } from '@dingo/testing';
import { EdgeModule } from '@dingo/mirror-edge';
import { MemoryCachedChunkStore } from '@dingo/chunk-store';
import { downloadFile } from '@huggingface/hub';
import { startWorld, World } from './fixtures';

/** An edge node fills from the gateway (never from upstream) and then serves locally. */
describe('mirror-edge in front of the gateway', () => {
  let w: World;
  let edge: RunningGateway;
  beforeAll(async () => {
    w = await startWorld();
    edge = await startEmbeddedGateway((config) => EdgeModule.forConfig(config), {
      upstreams: [w.gateway.url],
      chunkSizeBytes: 1024 * 1024,
      memoryCacheBytes: 64 * 1024 * 1024,
    });
  });
  afterAll(async () => {
    await edge.close();
    await w.close();
  });

  it('serves the same bytes and headers, pulling each byte from upstream once', async () => {
    const file = w.sim.repo('model', 'org/model')!.file('main', 'model.safetensors')!;
    w.sim.stats.reset();
    const blob = await downloadFile({ repo: 'org/model', path: 'model.safetensors', hubUrl: edge.url });
    expect(sha256(Buffer.from(await blob!.arrayBuffer()))).toBe(file.sha256);
    const head = await http(`${edge.url}/org/model/resolve/main/model.safetensors`, { method: 'HEAD' });
    expect(head.headers['x-linked-etag']).toBe(`"${file.sha256}"`);
    expect(head.headers['x-repo-commit']).toBe(w.sim.repo('model', 'org/model')!.resolve('main')!.sha);
    expect(w.sim.stats.bytesServed({ sha256: file.sha256 })).toBe(file.size);
    expect(w.sim.stats.requests.every((r) => !r.auth)).toBe(true);

    // The gateway goes away: the edge still serves what it holds, hot chunks from memory.
    await w.gateway.app.close();
    const memory = edge.adapters.store as MemoryCachedChunkStore;
    const hitsBefore = memory.hits;
    const again = await http(`${edge.url}/org/model/resolve/main/model.safetensors`);
    expect(again.status).toBe(200);
    expect(sha256(again.body)).toBe(file.sha256);
    const third = await http(`${edge.url}/org/model/resolve/main/model.safetensors`, {
      headers: { range: 'bytes=100-200' },
    });
    expect(third.body.equals(again.body.subarray(100, 201))).toBe(true);
    expect(memory.hits).toBeGreaterThan(hitsBefore);
  });
});
