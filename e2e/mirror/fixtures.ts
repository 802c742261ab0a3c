import { HubSimulator } from '@dingo/hub-simulator';
import { RunningGateway, startEmbeddedGateway, tempDir } from '@dingo/testing';
import { DingoConfigInput } from '@dingo/config';
import { GatewayModule } from '@dingo/gateway';

export const MiB = 1024 * 1024;
export const TOKEN = 'hf_reader_token';

/** An upstream simulator with the repos the suites use, and an embedded mirror in front of it. */
export async function startWorld(
  overrides: DingoConfigInput = {},
  simOptions: Partial<Parameters<typeof HubSimulator.start>[0]> = {},
) {
  const simDir = tempDir('sim');
  const sim = await HubSimulator.start({
    dataDir: simDir.path,
    treePageSize: 3,
    tokens: {
      [TOKEN]: { user: 'alice', approved: ['org/gated-model', 'org/private-model'] },
      hf_other: { user: 'bob' },
    },
    ...simOptions,
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/model',
    pipelineTag: 'text-generation',
    libraryName: 'transformers',
    commits: [
      {
        files: [
          { path: 'config.json', content: JSON.stringify({ model_type: 'llama', hidden_size: 64 }) },
          { path: 'tokenizer.json', size: 300_000, lfs: false },
          { path: 'model.safetensors', size: 6 * MiB + 12345 },
        ],
      },
      {
        files: [
          { path: 'config.json', content: JSON.stringify({ model_type: 'llama', hidden_size: 128 }) },
          { path: 'nested/deeper/weights.bin', size: 2 * MiB },
          { path: 'xet.safetensors', size: 3 * MiB, xet: true },
          { path: 'README.md', content: '# model\n' },
        ],
      },
    ],
    tags: { 'v1.0': 0 },
    prs: [0],
  });
  await sim.addRepo({
    type: 'dataset',
    id: 'org/data',
    commits: [
      {
        files: [
          { path: 'data/train-00000.parquet', size: 1 * MiB },
          { path: 'README.md', content: '# data' },
        ],
      },
      { files: [{ path: 'default/train/0000.parquet', size: 512 * 1024 }] },
    ],
    branches: { 'refs/convert/parquet': 1 },
  });
  await sim.addRepo({
    type: 'space',
    id: 'org/space',
    sdk: 'gradio',
    commits: [{ files: [{ path: 'app.py', content: 'print(1)\n' }] }],
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/gated-model',
    gated: 'auto',
    commits: [
      {
        files: [
          { path: 'config.json', content: '{"gated": true}' },
          { path: 'weights.safetensors', size: 1 * MiB },
        ],
      },
    ],
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/private-model',
    private: true,
    commits: [{ files: [{ path: 'config.json', content: '{"private": true}' }] }],
  });
  const gateway: RunningGateway = await startEmbeddedGateway((config) => GatewayModule.forConfig(config), {
    upstreams: [sim.url],
    upstreamAllowPrivate: [sim.cdnUrl],
    chunkSizeBytes: 1 * MiB,
    revisionTtlSeconds: 60,
    upstreamRetries: 4,
    ...overrides,
  });
  return {
    sim,
    gateway,
    async close() {
      await gateway.close();
      await sim.stop();
      simDir.cleanup();
    },
  };
}

export type World = Awaited<ReturnType<typeof startWorld>>;
