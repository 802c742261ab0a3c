// The simulator against a real client: @huggingface/hub talks to it as to the Hub.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  datasetInfo,
  downloadFile,
  fileDownloadInfo,
  listFiles,
  listModels,
  modelInfo,
  pathsInfo,
  snapshotDownload,
  whoAmI,
} from '@huggingface/hub';
import type { HubSimulator } from './hub-simulator';
import { DATASET, GATED, sha256, startSim } from './sim-test-fixtures';
import type { SimRepoSpec } from './types';

const PLAIN_MODEL: SimRepoSpec = {
  type: 'model',
  id: 'acme/plain',
  pipelineTag: 'fill-mask',
  commits: [
    {
      files: [
        { path: 'config.json', content: '{"a":1}' },
        { path: 'model.safetensors', size: 400_000 },
        { path: 'sub/dir/tokenizer.json', content: '{"b":2}' },
      ],
    },
    { files: [{ path: 'config.json', content: '{"a":2}' }] },
  ],
  branches: { 'refs/convert/parquet': 0 },
};

describe('HubSimulator with @huggingface/hub', () => {
  let sim: HubSimulator;
  let cleanup: () => Promise<void>;
  let cacheDir: string;
  beforeAll(async () => {
    jest.spyOn(console, 'debug').mockImplementation(() => undefined); // downloadFileToCacheDir's progress lines
    ({ sim, cleanup } = await startSim({ treePageSize: 2 }, [PLAIN_MODEL, DATASET, GATED]));
    cacheDir = await mkdtemp(join(tmpdir(), 'hub-sim-cache-'));
  });
  afterAll(async () => {
    await cleanup();
    await rm(cacheDir, { recursive: true, force: true });
  });
  const hubUrl = () => sim.url;

  it('modelInfo, datasetInfo, listModels', async () => {
    const info = await modelInfo({ name: 'acme/plain', hubUrl: hubUrl(), additionalFields: ['sha'] });
    expect(info).toMatchObject({
      name: 'acme/plain',
      task: 'fill-mask',
      sha: sim.repo('model', 'acme/plain')!.commits[1].sha,
    });
    const data = await datasetInfo({ name: 'acme/data', hubUrl: hubUrl() });
    expect(data.name).toBe('acme/data');
    const names: string[] = [];
    for await (const m of listModels({ hubUrl: hubUrl() })) names.push(m.name);
    expect(names.sort()).toEqual(['acme/gated-model', 'acme/plain']);
  });

  it('listFiles follows the pagination', async () => {
    const paths: string[] = [];
    for await (const e of listFiles({ repo: 'acme/plain', recursive: true, hubUrl: hubUrl() }))
      paths.push(e.path);
    expect(paths).toEqual(['config.json', 'model.safetensors', 'sub', 'sub/dir', 'sub/dir/tokenizer.json']);
  });

  it('fileDownloadInfo and downloadFile, for git and LFS files', async () => {
    const repo = sim.repo('model', 'acme/plain')!;
    const lfs = repo.file('main', 'model.safetensors')!;
    const info = await fileDownloadInfo({ repo: 'acme/plain', path: 'model.safetensors', hubUrl: hubUrl() });
    expect(info).toMatchObject({ size: lfs.size, etag: `"${lfs.sha256}"` });
    expect(info!.url.startsWith(sim.cdnUrl)).toBe(true);
    const blob = await downloadFile({ repo: 'acme/plain', path: 'model.safetensors', hubUrl: hubUrl() });
    expect(sha256(Buffer.from(await blob!.arrayBuffer()))).toBe(lfs.sha256);
    const old = await downloadFile({
      repo: 'acme/plain',
      path: 'config.json',
      revision: repo.commits[0].sha,
      hubUrl: hubUrl(),
    });
    expect(await old!.text()).toBe('{"a":1}');
    expect(await downloadFile({ repo: 'acme/plain', path: 'missing.json', hubUrl: hubUrl() })).toBeNull();
  });

  it('pathsInfo', async () => {
    const infos = await pathsInfo({
      repo: 'acme/plain',
      paths: ['config.json', 'sub'],
      expand: true,
      hubUrl: hubUrl(),
    });
    expect(infos.map((i) => [i.type, i.path, i.lastCommit?.id])).toEqual([
      ['file', 'config.json', sim.repo('model', 'acme/plain')!.commits[1].sha],
      ['directory', 'sub', sim.repo('model', 'acme/plain')!.commits[0].sha],
    ]);
  });

  it('snapshotDownload lays out a full snapshot', async () => {
    const folder = await snapshotDownload({ repo: 'acme/plain', cacheDir, hubUrl: hubUrl() });
    expect(folder.endsWith(sim.repo('model', 'acme/plain')!.commits[1].sha)).toBe(true);
    expect(await readFile(join(folder, 'sub/dir/tokenizer.json'), 'utf8')).toBe('{"b":2}');
    const weights = await readFile(join(folder, 'model.safetensors'));
    expect(sha256(weights)).toBe(sim.repo('model', 'acme/plain')!.file('main', 'model.safetensors')!.sha256);
  });

  it('whoAmI, and gated errors surface as Hub API errors', async () => {
    expect((await whoAmI({ accessToken: 'hf_reader', hubUrl: hubUrl() })).name).toBe('reader');
    await expect(
      downloadFile({ repo: 'acme/gated-model', path: 'config.json', hubUrl: hubUrl() }),
    ).rejects.toMatchObject({
      statusCode: 401,
      message: expect.stringContaining('restricted'),
    });
    const ok = await downloadFile({
      repo: 'acme/gated-model',
      path: 'config.json',
      hubUrl: hubUrl(),
      accessToken: 'hf_approved',
    });
    expect(await ok!.text()).toBe('{}');
  });
});
