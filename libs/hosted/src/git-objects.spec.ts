import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY_TREE, gitBlobId, gitCommitId, lfsPointer, treeIds } from './git-objects';

/** The ids must be the ones git itself computes: checked against a real git repository. */
describe('git object ids', () => {
  let dir: string;
  const git = (args: string[], input?: string, env: Record<string, string> = {}) =>
    execFileSync('git', args, { cwd: dir, input, env: { ...process.env, ...env }, encoding: 'utf8' }).trim();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hosted-git-'));
    git(['init', '-q']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('blob ids, LFS pointers included', () => {
    for (const content of [Buffer.from(''), Buffer.from('hello\n'), lfsPointer('a'.repeat(64), 12345)])
      expect(gitBlobId(content)).toBe(git(['hash-object', '-w', '--stdin'], content.toString('utf8')));
  });

  it('tree ids of nested directories, in git order (a directory sorts as name + "/")', () => {
    const files = { 'a.txt': 'x', 'a/b.txt': 'y', 'a-b': 'z', 'a/c/d.bin': 'w', 'b.md': 'v' };
    const entries = Object.entries(files).map(([path, content]) => ({
      path,
      size: content.length,
      blobId: git(['hash-object', '-w', '--stdin'], content),
    }));
    const ids = treeIds(entries);
    // Build the same trees with git itself.
    const mktree = (lines: string[]) => git(['mktree'], lines.join('\n') + '\n');
    const c = mktree([`100644 blob ${entries[3].blobId}\td.bin`]);
    const a = mktree([`100644 blob ${entries[1].blobId}\tb.txt`, `040000 tree ${c}\tc`]);
    const root = mktree([
      `100644 blob ${entries[0].blobId}\ta.txt`,
      `040000 tree ${a}\ta`,
      `100644 blob ${entries[2].blobId}\ta-b`,
      `100644 blob ${entries[4].blobId}\tb.md`,
    ]);
    expect(ids.get('a/c')).toBe(c);
    expect(ids.get('a')).toBe(a);
    expect(ids.get('')).toBe(root);
    expect(git(['mktree'], '')).toBe(EMPTY_TREE);
  });

  it('commit ids, with and without a parent', () => {
    const date = 1_700_000_000_000;
    const env = (author: string) => ({
      GIT_AUTHOR_NAME: author,
      GIT_AUTHOR_EMAIL: `${author}@users.noreply.dingospeed`,
      GIT_AUTHOR_DATE: `${date / 1000} +0000`,
      GIT_COMMITTER_NAME: author,
      GIT_COMMITTER_EMAIL: `${author}@users.noreply.dingospeed`,
      GIT_COMMITTER_DATE: `${date / 1000} +0000`,
    });
    const first = git(['commit-tree', EMPTY_TREE, '-m', 'initial commit'], undefined, env('alice'));
    expect(
      gitCommitId({ tree: EMPTY_TREE, parents: [], author: 'alice', date, message: 'initial commit' }),
    ).toBe(first);
    const second = git(
      ['commit-tree', EMPTY_TREE, '-p', first, '-m', 'Add model\n\nwith a body'],
      undefined,
      env('bob'),
    );
    expect(
      gitCommitId({
        tree: EMPTY_TREE,
        parents: [first],
        author: 'bob',
        date,
        message: 'Add model\n\nwith a body',
      }),
    ).toBe(second);
  });
});
