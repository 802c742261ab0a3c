import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DingoConfigInput } from '@dingo/config';
import { GatewayModule } from '@dingo/gateway';
import { downloadScript, HubSimulator, runPythonXet, type SimOptions } from '@dingo/hub-simulator';
import { RunningGateway, startEmbeddedGateway, tempDir } from '@dingo/testing';

export const MiB = 1024 * 1024;
export const TOKEN = 'hf_alice';

/** Compressible, deterministic bytes (so xorbs carry LZ4 chunks, as the Hub's do for text-like data). */
export function textBytes(n: number, seed = 7): Buffer {
  const words = ['tensor', 'weight', 'bias', '0.125', '\n', ' ', 'layer', 'attn'];
  let x = seed;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n;) {
    x = (x * 1103515245 + 12345) % 2147483648;
    i += out.write(words[x % words.length], i);
  }
  return out;
}

export const SHARED = textBytes(2 * MiB);

/** An upstream simulator speaking Xet, with Xet-backed repos, and a mirror in front of it. */
export async function startXetWorld(overrides: DingoConfigInput = {}, simOptions: Partial<SimOptions> = {}) {
  const simDir = tempDir('xetsim');
  const sim = await HubSimulator.start({
    dataDir: simDir.path,
    // huggingface_hub follows a HEAD redirect to the same host; a distinct CDN host keeps the Hub's 302 visible.
    cdnHost: '127.0.0.2',
    xetXorbBytes: 2 * MiB,
    tokens: { [TOKEN]: { user: 'alice', approved: ['org/gated-xet'] }, hf_bob: { user: 'bob' } },
    ...simOptions,
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/xet-model',
    commits: [
      {
        files: [
          { path: 'config.json', content: '{"model_type":"llama"}' },
          { path: 'model.safetensors', size: 6 * MiB + 12345, xet: true },
          { path: 'tokenizer.bin', content: SHARED, lfs: true, xet: true },
        ],
      },
    ],
  });
  await sim.addRepo({
    type: 'dataset',
    id: 'org/xet-data',
    commits: [
      {
        files: [
          { path: 'train.bin', content: Buffer.concat([SHARED, textBytes(MiB, 99)]), lfs: true, xet: true },
        ],
      },
    ],
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/gated-xet',
    gated: 'auto',
    commits: [{ files: [{ path: 'weights.safetensors', size: 1 * MiB, xet: true }] }],
  });
  const gateway: RunningGateway = await startEmbeddedGateway((config) => GatewayModule.forConfig(config), {
    upstreams: [sim.url],
    upstreamAllowPrivate: [sim.cdnUrl, sim.casUrl],
    chunkSizeBytes: 1 * MiB,
    xet: { mode: 'serve' },
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

export type XetWorld = Awaited<ReturnType<typeof startXetWorld>>;

export interface DownloadResult {
  path: string;
  sha256: string;
  size: number;
}

/** hf_hub_download (huggingface_hub 2.0.0 + hf_xet 1.6.0) with HF_ENDPOINT = `endpoint`, in a fresh HF_HOME. */
export async function pythonDownload(
  endpoint: string,
  files: { repoType: string; repoId: string; path: string; revision?: string }[],
  opts: { token?: string; prelude?: string; env?: Record<string, string> } = {},
): Promise<DownloadResult[]> {
  const home = await mkdtemp(join(tmpdir(), 'dingo-xethome-'));
  try {
    const out = await runPythonXet(downloadScript(files, opts.prelude), {
      HF_ENDPOINT: endpoint,
      HF_HOME: home,
      ...(opts.token && { HF_TOKEN: opts.token }),
      ...opts.env,
    });
    return out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DownloadResult);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
