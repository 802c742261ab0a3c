import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { ContentStore } from './content-store';
import { gitBlobSha1, gitCommitSha1, gitTreeSha1 } from './git-objects';
import { buildRepo } from './sim-repo';
import { sha256 } from './sim-test-fixtures';
import { readFile } from 'node:fs/promises';

describe('git objects', () => {
  it('computes the ids git computes', () => {
    expect(gitBlobSha1('')).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    expect(gitBlobSha1('hello\n')).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    const sub = gitTreeSha1([{ name: 'b', kind: 'file', oid: gitBlobSha1('x') }]);
    expect(sub).toBe('da981995a0f17908b3f6795c1e0c28a7e96b8a11');
    const root = gitTreeSha1([
      { name: 'd', kind: 'directory', oid: sub },
      { name: 'a', kind: 'file', oid: gitBlobSha1('hello\n') },
    ]);
    expect(root).toBe('ae16bc3ad152987b97936e7d75e12e2c62df1121');
    const commit = gitCommitSha1({
      tree: root,
      author: 'Sim <sim@x>',
      date: new Date(1704067200_000),
      message: 'initial commit',
    });
    expect(commit).toBe('1a98688336881a4c7253c82bc39eedfda630673a');
  });
});

describe('ContentStore and repo building', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hub-sim-content-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('generates deterministic content once, hashing it while writing', async () => {
    const store = new ContentStore(dataDir);
    await store.init();
    const a = await store.generated('seed', 3 * 1024 * 1024 + 17);
    expect(a.size).toBe(3 * 1024 * 1024 + 17);
    const bytes = await readFile(a.diskPath);
    expect(sha256(bytes)).toBe(a.sha256);
    expect(gitBlobSha1(bytes)).toBe(a.gitSha1);
    expect((await store.generated('seed', a.size)).sha256).toBe(a.sha256);
    expect((await store.generated('other', a.size)).sha256).not.toBe(a.sha256);

    // A new store on the same dataDir reuses what is on disk.
    const mtime = (await stat(a.diskPath)).mtimeMs;
    const again = await new ContentStore(dataDir).generated('seed', a.size);
    expect(again).toEqual(a);
    expect((await stat(a.diskPath)).mtimeMs).toBe(mtime);
  });

  it('generates weight-like (bf16) content that compresses about as much as real checkpoints', async () => {
    const store = new ContentStore(dataDir);
    await store.init();
    const size = 2 * 1024 * 1024;
    const random = await readFile((await store.generated('w', size)).diskPath);
    const bf16 = await store.generated('w', size, 'bf16');
    const bytes = await readFile(bf16.diskPath);
    expect(sha256(bytes)).toBe(bf16.sha256);
    expect(bf16.sha256).not.toBe(sha256(random));
    expect((await store.generated('w', size, 'bf16')).sha256).toBe(bf16.sha256);
    // zlib stands in for zstd here: random bytes do not shrink, weight-like ones lose 10-25 % (zstd: 14 %).
    expect(deflateSync(random).length / size).toBeGreaterThan(0.99);
    const ratio = deflateSync(bytes).length / size;
    expect(ratio).toBeGreaterThan(0.75);
    expect(ratio).toBeLessThan(0.9);
  });

  it('shares identical contents across repos and versions re-specified files', async () => {
    const store = new ContentStore(dataDir);
    await store.init();
    const one = await buildRepo(
      {
        type: 'model',
        id: 'a/one',
        commits: [
          {
            files: [
              { path: 'same.txt', content: 'same' },
              { path: 'w.bin', size: 100 },
            ],
          },
          { files: [{ path: 'w.bin', size: 100 }], deletes: ['same.txt'] },
        ],
      },
      store,
    );
    const two = await buildRepo(
      {
        type: 'dataset',
        id: 'a/two',
        commits: [{ files: [{ path: 'copy.txt', content: Buffer.from('same') }] }],
      },
      store,
    );
    const [c0, c1] = one.commits;
    expect(c0.files.get('same.txt')!.diskPath).toBe(two.commits[0].files.get('copy.txt')!.diskPath);
    expect(c0.files.get('w.bin')!.sha256).not.toBe(c1.files.get('w.bin')!.sha256);
    expect(c1.files.has('same.txt')).toBe(false);
    expect(c0.files.get('w.bin')!.lfs).toBe(true);
    expect(c0.files.get('same.txt')!.lfs).toBe(false);
    expect(one.resolve('HEAD')).toBe(c1);
    expect(one.resolve(c1.sha.slice(0, 8))).toBe(c1);
    expect(one.resolve('abc')).toBeUndefined();
  });

  it('refuses invalid specs with a message naming the repo', async () => {
    const store = new ContentStore(dataDir);
    await store.init();
    await expect(
      buildRepo(
        { type: 'model', id: 'a/x', commits: [{ files: [{ path: '../evil', content: '' }] }] },
        store,
      ),
    ).rejects.toThrow('repo model/a/x: bad file path');
    await expect(
      buildRepo({ type: 'model', id: 'a/x', commits: [{ files: [] }], tags: { v: 3 } }, store),
    ).rejects.toThrow('ref v points at commit 3');
  });
});
