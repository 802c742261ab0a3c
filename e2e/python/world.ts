import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HubSimulator, SimFileSpec, SimRepo } from '@dingo/hub-simulator';
import { RunningGateway, startEmbeddedGateway, tempDir } from '@dingo/testing';
import { GatewayModule } from '@dingo/gateway';

export const MiB = 1024 * 1024;
/** alice: approved for the gated and the private repo. bob: a valid token, approved for nothing. */
export const TOKENS = { reader: 'hf_py_reader_token', other: 'hf_py_other_token' };
/** Small, so every listing of org/many-files takes several pages. */
export const TREE_PAGE_SIZE = 7;

/** The files of a folder made by make_fixtures.py, as simulator file specs. */
function folderFiles(dir: string, opts: { xet?: string[] } = {}): SimFileSpec[] {
  const out: SimFileSpec[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const path = relative(dir, full);
        out.push({ path, content: readFileSync(full), ...(opts.xet?.includes(path) && { xet: true }) });
      }
    }
  };
  walk(dir);
  return out;
}

const config = (name: string) => JSON.stringify({ model_type: 'llama', hidden_size: 64, revision: name });

/** The upstream simulator with the Python suite's repos, and an embedded mirror in front of it. */
export async function startPythonWorld(fixturesDir: string) {
  const simDir = tempDir('py-sim');
  const sim = await HubSimulator.start({
    dataDir: simDir.path,
    treePageSize: TREE_PAGE_SIZE,
    tokens: {
      [TOKENS.reader]: { user: 'alice', approved: ['org/gated-model', 'org/private-model'] },
      [TOKENS.other]: { user: 'bob' },
    },
  });
  // Commits: 0 (tag v1.0), 1, then dev, feature/new-tok and PR 1 branch off 1; main is the last.
  await sim.addRepo({
    type: 'model',
    id: 'org/model',
    pipelineTag: 'text-generation',
    libraryName: 'transformers',
    commits: [
      {
        files: [
          { path: 'config.json', content: config('v1.0') },
          { path: 'tokenizer.json', size: 300_000, lfs: false },
          { path: 'model.safetensors', size: 6 * MiB + 12345 },
        ],
      },
      {
        files: [
          { path: 'config.json', content: config('c1') },
          { path: 'nested/deeper/weights.bin', size: 2 * MiB },
          { path: 'xet.safetensors', size: 3 * MiB, xet: true },
          { path: 'README.md', content: '# model\n' },
        ],
      },
      { parent: 1, files: [{ path: 'config.json', content: config('dev') }] },
      {
        parent: 1,
        files: [
          { path: 'config.json', content: config('feature/new-tok') },
          { path: 'tokenizer.json', size: 200_000, lfs: false },
        ],
      },
      { parent: 1, files: [{ path: 'config.json', content: config('pr1') }] },
      { parent: 1, files: [{ path: 'config.json', content: config('main') }] },
    ],
    tags: { 'v1.0': 0 },
    branches: { dev: 2, 'feature/new-tok': 3 },
    prs: [4],
  });
  const many: SimFileSpec[] = [{ path: 'README.md', content: '# many files\n' }];
  for (let i = 0; i < 5; i++) many.push({ path: `configs/c${i}.json`, content: JSON.stringify({ i }) });
  for (let i = 0; i < 15; i++)
    many.push({
      path: `shards/part-${String(i).padStart(3, '0')}.txt`,
      content: `part ${i}\n`.repeat(i + 1),
    });
  many.push({ path: 'deep/a/b/c/leaf.txt', content: 'leaf\n' }, { path: 'shards/big.bin', size: 1.5 * MiB });
  await sim.addRepo({ type: 'model', id: 'org/many-files', commits: [{ files: many }] });
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
    commits: [
      {
        files: [
          { path: 'config.json', content: '{"private": true}' },
          { path: 'weights.safetensors', size: 1 * MiB },
        ],
      },
    ],
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/offline-probe',
    commits: [
      {
        files: [
          { path: 'fetched.json', content: '{}' },
          { path: 'never-fetched.bin', size: 1000 },
        ],
      },
    ],
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/big',
    commits: [
      {
        files: [
          { path: 'big.bin', size: 24 * MiB },
          { path: 'killed.bin', size: 24 * MiB },
        ],
      },
    ],
  });
  await sim.addRepo({
    type: 'model',
    id: 'org/tiny-bert',
    pipelineTag: 'fill-mask',
    libraryName: 'transformers',
    commits: [{ files: folderFiles(join(fixturesDir, 'tiny-bert'), { xet: ['model.safetensors'] }) }],
  });
  // The Hub's parquet export is an orphan branch; main (the last commit) holds the CSV files.
  await sim.addRepo({
    type: 'dataset',
    id: 'org/csv-data',
    commits: [
      { files: folderFiles(join(fixturesDir, 'csv-data-parquet')) },
      { parent: null, files: folderFiles(join(fixturesDir, 'csv-data')) },
    ],
    branches: { 'refs/convert/parquet': 0 },
  });
  await sim.addRepo({
    type: 'dataset',
    id: 'org/parquet-data',
    commits: [{ files: folderFiles(join(fixturesDir, 'parquet-data')) }],
  });

  const gateway: RunningGateway = await startEmbeddedGateway((c) => GatewayModule.forConfig(c), {
    upstreams: [sim.url],
    upstreamAllowPrivate: [sim.cdnUrl],
    chunkSizeBytes: 1 * MiB,
    revisionTtlSeconds: 60,
    upstreamRetries: 4,
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

export type PythonWorld = Awaited<ReturnType<typeof startPythonWorld>>;

const REPOS: Array<['model' | 'dataset', string]> = [
  ['model', 'org/model'],
  ['model', 'org/many-files'],
  ['model', 'org/gated-model'],
  ['model', 'org/private-model'],
  ['model', 'org/big'],
  ['model', 'org/offline-probe'],
  ['model', 'org/tiny-bert'],
  ['dataset', 'org/csv-data'],
  ['dataset', 'org/parquet-data'],
];

/**
 * What the Python cases compare against, written as JSON: every repo's commits and refs, and each
 * commit's files (size, sha256, git blob id, LFS/Xet, where the simulator keeps the bytes).
 */
export function writeWorldJson(w: PythonWorld, file: string, extra: Record<string, unknown>): void {
  const describe = (repo: SimRepo) => {
    const refs: Record<string, string> = {};
    for (const name of ['main', 'dev', 'feature/new-tok', 'v1.0', 'refs/pr/1', 'refs/convert/parquet']) {
      const c = repo.resolve(name);
      if (c) refs[name] = c.sha;
    }
    return {
      type: repo.type,
      id: repo.id,
      private: repo.private,
      gated: repo.gated,
      refs,
      commits: repo.commits.map((c) => ({
        sha: c.sha,
        files: Object.fromEntries(
          [...c.files.values()].map((f) => [
            f.path,
            {
              size: f.size,
              sha256: f.sha256,
              blobId: f.blobId,
              lfs: f.lfs,
              xet: f.xet,
              diskPath: f.diskPath,
            },
          ]),
        ),
      })),
    };
  };
  const repos = Object.fromEntries(
    REPOS.map(([type, id]) => [`${type}:${id}`, describe(w.sim.repo(type, id)!)]),
  );
  writeFileSync(
    file,
    JSON.stringify({ repos, tokens: TOKENS, treePageSize: TREE_PAGE_SIZE, ...extra }, null, 1),
  );
}
