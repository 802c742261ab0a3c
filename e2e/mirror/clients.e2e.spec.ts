import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  downloadFile,
  listFiles,
  modelInfo,
  snapshotDownload,
  datasetInfo,
  fileDownloadInfo,
} from '@huggingface/hub';
import { sha256, tempDir } from '@dingo/testing';
import { MiB, startWorld, World } from './fixtures';

const run = promisify(execFile);

/** Real clients against the gateway: @huggingface/hub (the official JS client) and curl. */
describe('real clients through the mirror', () => {
  let w: World;
  const scratch = tempDir('clients');
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w.close();
    scratch.cleanup();
  });

  const hubUrl = () => w.gateway.url;

  it('@huggingface/hub: lists, inspects and downloads files with bytes identical to upstream', async () => {
    const repo = w.sim.repo('model', 'org/model')!;
    const entries = [];
    for await (const e of listFiles({ repo: 'org/model', recursive: true, hubUrl: hubUrl() }))
      entries.push(e);
    expect(
      entries
        .filter((e) => e.type === 'file')
        .map((e) => e.path)
        .sort(),
    ).toEqual([...repo.resolve('main')!.files.keys()].sort());

    const info = await modelInfo({ name: 'org/model', hubUrl: hubUrl(), additionalFields: ['sha'] });
    expect(info.name).toBe('org/model');

    const di = await fileDownloadInfo({ repo: 'org/model', path: 'model.safetensors', hubUrl: hubUrl() });
    expect(di?.size).toBe(repo.file('main', 'model.safetensors')!.size);
    expect(di?.etag.replace(/"/g, '')).toBe(repo.file('main', 'model.safetensors')!.sha256);
    expect(di?.xet).toBeUndefined();

    for (const path of ['config.json', 'model.safetensors', 'nested/deeper/weights.bin']) {
      const blob = await downloadFile({ repo: 'org/model', path, hubUrl: hubUrl() });
      const bytes = Buffer.from(await blob!.arrayBuffer());
      expect(sha256(bytes)).toBe(sha256(readFileSync(repo.file('main', path)!.diskPath)));
    }
    const ds = await datasetInfo({ name: 'org/data', hubUrl: hubUrl() });
    expect(ds.name).toBe('org/data');
  });

  it('@huggingface/hub: snapshotDownload of a whole repo, then again with upstream stopped', async () => {
    const repo = w.sim.repo('model', 'org/model')!;
    const commit = repo.resolve('main')!;
    const verify = (folder: string) => {
      for (const [path, file] of commit.files) {
        expect(sha256(readFileSync(join(folder, path)))).toBe(sha256(readFileSync(file.diskPath)));
      }
    };
    const first = await snapshotDownload({
      repo: 'org/model',
      cacheDir: join(scratch.path, 'hf1'),
      hubUrl: hubUrl(),
    });
    verify(first);

    w.sim.stats.reset();
    await w.sim.stop();
    try {
      const second = await snapshotDownload({
        repo: 'org/model',
        cacheDir: join(scratch.path, 'hf2'),
        hubUrl: hubUrl(),
      });
      verify(second);
      // A path the commit does not have is a 404 the client can cache, offline too: the mirror
      // knows the commit's file list.
      const res = await fetch(`${hubUrl()}/org/model/resolve/main/not-in-the-repo.bin`);
      expect(res.status).toBe(404);
      expect(res.headers.get('x-error-code')).toBe('EntryNotFound');
      expect(res.headers.get('x-repo-commit')).toBe(w.sim.repo('model', 'org/model')!.resolve('main')!.sha);
    } finally {
      await w.sim.restart();
    }
  });

  it('curl -C - resumes a partial download from the mirror', async () => {
    const repo = w.sim.repo('model', 'org/model')!;
    const file = repo.file('main', 'model.safetensors')!;
    const expected = readFileSync(file.diskPath);
    const out = join(scratch.path, 'partial.safetensors');
    writeFileSync(out, expected.subarray(0, 2 * MiB + 77)); // as if a previous run broke off
    await run('curl', [
      '-sS',
      '-f',
      '-L',
      '-C',
      '-',
      '-o',
      out,
      `${hubUrl()}/org/model/resolve/main/model.safetensors`,
    ]);
    expect(statSync(out).size).toBe(file.size);
    expect(sha256(readFileSync(out))).toBe(file.sha256);
  });

  it('wget -c resumes too', async () => {
    const file = w.sim.repo('dataset', 'org/data')!.file('main', 'data/train-00000.parquet')!;
    const out = join(scratch.path, 'train.parquet');
    writeFileSync(out, readFileSync(file.diskPath).subarray(0, 1000));
    await run('wget', [
      '-q',
      '-c',
      '-O',
      out,
      `${hubUrl()}/datasets/org/data/resolve/main/data/train-00000.parquet`,
    ]);
    expect(existsSync(out) && sha256(readFileSync(out))).toBe(file.sha256);
  });
});
