import { spawn, ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DingoConfigInput } from '@dingo/config';
import { GatewayModule } from '@dingo/gateway';
import { HubSimulator } from '@dingo/hub-simulator';
import { RunningGateway, startEmbeddedGateway, tempDir } from '@dingo/testing';

export const MiB = 1024 * 1024;
const ROOT = join(__dirname, '..', '..');
export const DINGO_BIN = join(ROOT, 'apps', 'cli', 'bin', 'dingo.js');

/** A simulator with repos of several tasks, libraries, formats and sizes, and a mirror before it. */
export async function startCliWorld(
  simOptions: Partial<Parameters<typeof HubSimulator.start>[0]> = {},
  overrides: DingoConfigInput = {},
) {
  const simDir = tempDir('cli-sim');
  const sim = await HubSimulator.start({
    dataDir: simDir.path,
    tokens: { hf_alice: { user: 'alice', approved: ['org/gated'] } },
    ...simOptions,
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/llama-tiny',
    pipelineTag: 'text-generation',
    libraryName: 'transformers',
    repoTags: ['transformers', 'safetensors', 'en'],
    cardData: { license: 'apache-2.0' },
    commits: [
      {
        files: [
          { path: 'config.json', content: JSON.stringify({ model_type: 'llama', hidden_size: 64 }) },
          { path: 'tokenizer.json', size: 300_000, lfs: false },
          { path: 'model.safetensors', size: 24 * MiB + 4321 },
          { path: 'nested/deep/extra.bin', content: Buffer.alloc(2048, 7), lfs: true },
          { path: 'copy/extra-again.bin', content: Buffer.alloc(2048, 7), lfs: true },
        ],
      },
    ],
    tags: { 'v1.0': 0 },
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/bert-gguf',
    pipelineTag: 'fill-mask',
    libraryName: 'gguf',
    repoTags: ['gguf'],
    cardData: { license: 'mit' },
    commits: [{ files: [{ path: 'bert.Q4.gguf', size: 2 * MiB }] }],
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/big',
    pipelineTag: 'text-generation',
    libraryName: 'transformers',
    commits: [{ files: [{ path: 'big.safetensors', size: 40 * MiB }] }],
  });
  await sim.addRepo({
    type: 'dataset',
    id: 'org/corpus',
    repoTags: ['format:parquet', 'en'],
    commits: [{ files: [{ path: 'data/train.parquet', size: 1 * MiB }] }],
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/gated',
    gated: 'auto',
    pipelineTag: 'text-generation',
    commits: [{ files: [{ path: 'config.json', content: '{}' }] }],
  });
  const gateway: RunningGateway = await startEmbeddedGateway((config) => GatewayModule.forConfig(config), {
    upstreams: [sim.url],
    upstreamAllowPrivate: [sim.cdnUrl],
    chunkSizeBytes: 4 * MiB,
    upstreamRetries: 4,
    ...overrides,
  });
  const home = tempDir('cli-home');
  return {
    sim,
    gateway,
    home: home.path,
    /** Runs `dingo` as a subprocess against the mirror, with its own HF cache and config dir. */
    dingo(args: string[], env: Record<string, string> = {}) {
      return runProcess(args, {
        DINGO_ENDPOINT: gateway.url,
        HF_HUB_CACHE: join(home.path, 'hub'),
        DINGO_CONFIG_DIR: join(home.path, 'config'),
        ...env,
      });
    },
    /** Starts `dingo` without waiting (to kill it midway). */
    spawnDingo(args: string[]) {
      return spawn(process.execPath, [DINGO_BIN, ...args], {
        env: cliEnv({
          DINGO_ENDPOINT: gateway.url,
          HF_HUB_CACHE: join(home.path, 'hub'),
          DINGO_CONFIG_DIR: join(home.path, 'config'),
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    },
    async close() {
      await gateway.close();
      await sim.stop();
      simDir.cleanup();
      home.cleanup();
    },
  };
}

export type CliWorld = Awaited<ReturnType<typeof startCliWorld>>;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI subprocess: nothing of the caller's HF or DINGO settings leaks in. */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(HF_|DINGO_|HUGGING)/.test(k)),
  );
  return { ...base, ...env };
}

export function runProcess(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [DINGO_BIN, ...args], {
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
