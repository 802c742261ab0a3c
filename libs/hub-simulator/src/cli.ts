// Starts a simulator with demo repos, for manual poking:
//   node -r @swc-node/register libs/hub-simulator/src/cli.ts --port 9999 [--cdn-port 9998] [--data-dir DIR]
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HubSimulator } from './hub-simulator';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'cdn-port': { type: 'string', default: '0' },
      'data-dir': { type: 'string', default: join(tmpdir(), 'hub-simulator-demo') },
      bandwidth: { type: 'string', default: '0' },
      latency: { type: 'string', default: '0' },
    },
  });
  const sim = await HubSimulator.start({
    dataDir: values['data-dir']!,
    port: Number(values.port),
    cdnPort: Number(values['cdn-port']),
    bandwidthPerConnection: Number(values.bandwidth),
    latencyMs: Number(values.latency),
    tokens: { hf_demo_token: { user: 'demo', approved: ['*'] } },
  });
  await sim.addRepo({
    type: 'model',
    id: 'demo/tiny-model',
    pipelineTag: 'text-generation',
    libraryName: 'transformers',
    repoTags: ['transformers', 'safetensors', 'text-generation'],
    cardData: { license: 'apache-2.0' },
    commits: [
      {
        message: 'initial commit',
        files: [
          { path: '.gitattributes', content: '*.safetensors filter=lfs diff=lfs merge=lfs -text\n' },
          { path: 'README.md', content: '---\nlicense: apache-2.0\n---\n# tiny-model\n' },
          { path: 'config.json', content: JSON.stringify({ model_type: 'gpt2', n_layer: 2 }, null, 2) },
          { path: 'tokenizer.json', content: demoTokenizer() },
          { path: 'model.safetensors', size: 20 * 1024 * 1024 },
          { path: 'nested/dir/extra.bin', size: 1024 },
          { path: 'nested/notes.txt', content: 'hello from a nested folder\n' },
        ],
      },
      {
        message: 'Update config',
        files: [{ path: 'config.json', content: '{"model_type":"gpt2","n_layer":4}' }],
      },
    ],
    tags: { 'v1.0': 0 },
    branches: { dev: 0 },
    prs: [0],
  });
  await sim.addRepo({
    type: 'dataset',
    id: 'demo/tiny-dataset',
    repoTags: ['format:parquet'],
    commits: [
      // The parquet export lives on its own orphan history, like the Hub's refs/convert/parquet.
      {
        message: 'Update parquet files',
        files: [
          { path: 'default/train/0000.parquet', size: 600_000 },
          { path: 'default/test/0000.parquet', size: 100_000 },
        ],
      },
      {
        parent: null,
        message: 'initial commit',
        files: [
          { path: 'README.md', content: '---\nconfigs:\n- config_name: default\n---\n# tiny-dataset\n' },
          { path: 'data/train-00000-of-00002.parquet', size: 300_000 },
          { path: 'data/train-00001-of-00002.parquet', size: 300_000 },
          { path: 'data/test-00000-of-00001.parquet', size: 100_000 },
        ],
      },
    ],
    branches: { 'refs/convert/parquet': 0 },
  });

  await sim.addRepo({
    type: 'model',
    id: 'demo/gated-model',
    gated: 'manual',
    commits: [{ files: [{ path: 'config.json', content: '{"gated":true}' }] }],
  });

  console.log(`hub: ${sim.url}`);
  console.log(`cdn: ${sim.cdnUrl}`);
  console.log(`try: curl -I ${sim.url}/demo/tiny-model/resolve/main/config.json`);
  console.log(
    `     curl ${sim.url}/api/datasets/demo/tiny-dataset/tree/refs%2Fconvert%2Fparquet?recursive=true`,
  );
  console.log('token with access to everything (e.g. demo/gated-model): hf_demo_token');
  const shutdown = () => void sim.stop().then(() => process.exit(0));
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

function demoTokenizer(): string {
  const vocab = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`tok${i}`, i]));
  return JSON.stringify({ version: '1.0', model: { type: 'WordLevel', vocab, unk_token: 'tok0' } });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
