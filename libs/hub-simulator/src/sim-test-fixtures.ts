// Shared by this lib's specs: a simulator with small repos, and raw HTTP helpers.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubSimulator } from './hub-simulator';
import type { SimOptions, SimRepoSpec } from './types';

export const TOKENS = {
  hf_reader: { user: 'reader' },
  hf_approved: { user: 'approved', approved: ['acme/gated-model', 'acme/private-model'] },
  hf_owner: { user: 'acme' },
  hf_all: { user: 'root', approved: ['*'] },
};

export const MODEL: SimRepoSpec = {
  type: 'model',
  id: 'acme/tiny',
  pipelineTag: 'text-generation',
  libraryName: 'transformers',
  repoTags: ['transformers', 'safetensors'],
  cardData: { license: 'mit' },
  commits: [
    {
      message: 'initial commit',
      files: [
        { path: 'config.json', content: '{"model_type":"gpt2"}' },
        { path: 'README.md', content: '# tiny\n' },
        { path: 'model.safetensors', size: 300_000 },
        { path: 'nested/dir/weights.bin', size: 2048 },
        { path: 'nested/notes.txt', content: 'notes\n' },
      ],
    },
    {
      message: 'Update config',
      files: [{ path: 'config.json', content: '{"model_type":"gpt2","n_layer":2}' }],
    },
    {
      message: 'Add xet file',
      files: [
        { path: 'xet.safetensors', size: 50_000, xet: true },
        { path: 'big.txt', size: 2_000_000 },
      ],
    },
  ],
  tags: { 'v1.0': 0 },
  branches: { dev: 1 },
  prs: [1],
};

export const DATASET: SimRepoSpec = {
  type: 'dataset',
  id: 'acme/data',
  commits: [
    { files: [{ path: 'default/train/0000.parquet', size: 10_000 }] },
    {
      parent: null,
      files: [
        { path: 'README.md', content: '# data\n' },
        { path: 'data/train.parquet', size: 20_000 },
      ],
    },
  ],
  branches: { 'refs/convert/parquet': 0 },
};

export const GATED: SimRepoSpec = {
  type: 'model',
  id: 'acme/gated-model',
  gated: 'manual',
  commits: [{ files: [{ path: 'config.json', content: '{}' }] }],
};

export const PRIVATE: SimRepoSpec = {
  type: 'model',
  id: 'acme/private-model',
  private: true,
  commits: [{ files: [{ path: 'config.json', content: '{"private":true}' }] }],
};

export async function startSim(
  opts: Partial<SimOptions> = {},
  repos: SimRepoSpec[] = [MODEL, DATASET, GATED, PRIVATE],
): Promise<{ sim: HubSimulator; cleanup: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hub-sim-'));
  const sim = await HubSimulator.start({ dataDir, tokens: TOKENS, ...opts });
  for (const spec of repos) await sim.addRepo(spec);
  return {
    sim,
    cleanup: async () => {
      await sim.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Set when the connection ended with an error before the body was complete. */
  error?: Error;
  ms: number;
}

/** One request on a fresh connection; resolves (never rejects) with whatever arrived. */
export function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const started = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    const done = (error?: Error) =>
      resolve({ status, headers, body: Buffer.concat(chunks), error, ms: performance.now() - started });
    // The path goes out as written (no URL normalisation of '..' or '%2E%2E').
    const { hostname, port, origin } = new URL(url);
    const path = url.slice(origin.length) || '/';
    const reqOpts = {
      hostname,
      port,
      path,
      method: opts.method ?? 'GET',
      headers: opts.headers,
      agent: false,
    };
    const req = request(reqOpts, (res) => {
      status = res.statusCode ?? 0;
      headers = res.headers;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done());
      res.on('error', (e) => done(e));
      res.on('aborted', () => done(new Error('aborted')));
    });
    req.on('error', (e) => done(e));
    if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error('timeout')));
    req.end(opts.body);
  });
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}
