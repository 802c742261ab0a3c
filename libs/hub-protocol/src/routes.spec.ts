import { HubError } from './hub-error';
import { parseApiRepoPath, parseResolvePath } from './routes';
import { parseRange } from './range';
import { stripXetLink, normalizeEtag } from './headers';

describe('parseResolvePath', () => {
  it.each([
    ['/gpt2/resolve/main/config.json', 'model', 'gpt2', 'main', 'config.json'],
    ['/org/m/resolve/v1.0/a/b/c.safetensors', 'model', 'org/m', 'v1.0', 'a/b/c.safetensors'],
    [
      '/datasets/org/d/resolve/refs%2Fconvert%2Fparquet/default/train/0.parquet',
      'dataset',
      'org/d',
      'refs/convert/parquet',
      'default/train/0.parquet',
    ],
    ['/spaces/org/s/resolve/refs%2Fpr%2F3/app.py', 'space', 'org/s', 'refs/pr/3', 'app.py'],
    ['/org/m/resolve/refs/pr/1/x.bin', 'model', 'org/m', 'refs/pr/1', 'x.bin'],
    ['/org/m/resolve/abc1234/my%20file.txt?download=true', 'model', 'org/m', 'abc1234', 'my file.txt'],
  ])('%s', (raw, type, id, revision, path) => {
    expect(parseResolvePath(raw)).toEqual({ repo: { type, id }, revision, path });
  });

  it.each([
    '/org/m/resolve/main/../../etc/passwd',
    '/org/m/resolve/main/a/%2e%2e/%2e%2e/x',
    '/org/m/resolve/main/..%2F..%2Fsecret',
    '/org%2Fevil/m/resolve/main/x',
    '/org/m/resolve/..%2F..%2F/x',
    '/org/m/resolve/main/a%00b',
    '/org/m/resolve/main/%E0%A4%A',
    '/org/m/resolve/main/',
  ])('rejects %s with 400', (raw) => {
    let err: unknown;
    try {
      parseResolvePath(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).status).toBe(400);
  });

  it('ignores non-resolve paths', () => {
    expect(parseResolvePath('/api/models/gpt2')).toBeUndefined();
  });
});

describe('parseApiRepoPath', () => {
  it('parses info, revision, tree and paths-info', () => {
    expect(parseApiRepoPath('/api/models/gpt2')).toEqual({
      repo: { type: 'model', id: 'gpt2' },
      action: { kind: 'info' },
    });
    expect(parseApiRepoPath('/api/models/gpt2/revision/main')?.action).toEqual({
      kind: 'info',
      revision: 'main',
    });
    expect(parseApiRepoPath('/api/datasets/o/d/revision/refs%2Fconvert%2Fparquet')).toEqual({
      repo: { type: 'dataset', id: 'o/d' },
      action: { kind: 'info', revision: 'refs/convert/parquet' },
    });
    expect(parseApiRepoPath('/api/models/o/m/tree/main/sub/dir?recursive=1')?.action).toEqual({
      kind: 'tree',
      revision: 'main',
      path: 'sub/dir',
    });
    expect(parseApiRepoPath('/api/models/o/m/tree/main')?.action).toEqual({
      kind: 'tree',
      revision: 'main',
      path: '',
    });
    expect(parseApiRepoPath('/api/spaces/o/s/paths-info/v1')?.action).toEqual({
      kind: 'paths-info',
      revision: 'v1',
    });
    expect(parseApiRepoPath('/api/models/o/m/refs')?.action).toEqual({ kind: 'other', rest: 'refs' });
  });
});

describe('parseRange', () => {
  it('handles the forms clients send', () => {
    expect(parseRange('bytes=0-0', 10)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes=5-', 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=2-100', 10)).toEqual({ start: 2, end: 9 });
    expect(parseRange('bytes=0-1,3-4', 10)).toBeUndefined();
    expect(() => parseRange('bytes=10-', 10)).toThrow(HubError);
    expect(() => parseRange('bytes=10-', 10)).toThrow(/not satisfiable/);
  });
});

describe('headers', () => {
  it('strips Xet links but keeps others', () => {
    expect(stripXetLink('<https://x/a>; rel="xet-auth", <https://x/b>; rel="next"')).toBe(
      '<https://x/b>; rel="next"',
    );
    expect(stripXetLink('<https://x/a>; rel="xet-auth"')).toBeUndefined();
    expect(normalizeEtag('W/"abc"')).toBe('abc');
  });
});
