import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT, exitCodeFor } from './cli-errors';
import { parseMetrics } from './commands/status';
import { FileFetcher, RemoteFile } from './file-fetcher';
import { globToRegExp, selectPaths } from './globs';
import { MirrorClient } from './mirror-client';
import { parseRepoSpec, resolvePath } from './repo-spec';
import { hubCacheDir, resolveEndpoint, resolveToken } from './settings';

describe('globs (fnmatch, as huggingface_hub applies allow/ignore patterns)', () => {
  it('matches across folders, single characters, sets and folder prefixes', () => {
    expect(globToRegExp('*.json').test('a/b/config.json')).toBe(true);
    expect(globToRegExp('*.json').test('config.jsonl')).toBe(false);
    expect(globToRegExp('model-0000?-of-*.safetensors').test('model-00001-of-00002.safetensors')).toBe(true);
    expect(globToRegExp('[!a]*').test('abc')).toBe(false);
    expect(globToRegExp('onnx/').test('onnx/model.onnx')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    const paths = ['config.json', 'model.safetensors', 'onnx/model.onnx', 'README.md'];
    expect(selectPaths(paths, (p) => p, ['*.json', '*.safetensors'], [])).toEqual([
      'config.json',
      'model.safetensors',
    ]);
    expect(selectPaths(paths, (p) => p, [], ['onnx/*', '*.md'])).toEqual([
      'config.json',
      'model.safetensors',
    ]);
  });
});

describe('arguments and settings', () => {
  it('parses repo specs and refuses what is not a repo id', () => {
    expect(parseRepoSpec('org/x@v1.0', undefined, undefined)).toEqual({
      type: 'model',
      id: 'org/x',
      revision: 'v1.0',
    });
    expect(parseRepoSpec('gpt2', 'dataset', 'refs/pr/1')).toEqual({
      type: 'dataset',
      id: 'gpt2',
      revision: 'refs/pr/1',
    });
    for (const bad of ['../x', 'a/b/c', '', 'org/..'])
      expect(() => parseRepoSpec(bad, undefined, undefined)).toThrow(CliError);
    expect(() => parseRepoSpec('x', 'kernel', undefined)).toThrow(/--type/);
    expect(resolvePath('dataset', 'org/d', 'c0ffee', 'dir/a b#.txt')).toBe(
      '/datasets/org/d/resolve/c0ffee/dir/a%20b%23.txt',
    );
  });

  it('takes the endpoint and token from flag, DINGO_*, HF_*, in that order', () => {
    const none = { DINGO_CONFIG_DIR: '/nonexistent-dingo' };
    expect(resolveEndpoint(undefined, none)).toBe('http://localhost:8090');
    expect(resolveEndpoint(undefined, { ...none, HF_ENDPOINT: 'http://hf:1/' })).toBe('http://hf:1');
    expect(
      resolveEndpoint(undefined, { ...none, HF_ENDPOINT: 'http://hf:1', DINGO_ENDPOINT: 'http://d:2' }),
    ).toBe('http://d:2');
    expect(resolveEndpoint('https://flag', { ...none, DINGO_ENDPOINT: 'http://d:2' })).toBe('https://flag');
    expect(() => resolveEndpoint('ftp://x', none)).toThrow(/http/);
    expect(resolveToken(undefined, { ...none, HF_TOKEN: 'hf', DINGO_TOKEN: 'dgo' })).toBe('dgo');
    expect(hubCacheDir(undefined, { HF_HOME: '/h' })).toBe('/h/hub');
    expect(hubCacheDir(undefined, { HF_HOME: '/h', HF_HUB_CACHE: '/c' })).toBe('/c');
  });

  it('maps the mirror error answers to exit codes', () => {
    expect(exitCodeFor(401, 'RepoNotFound')).toBe(EXIT.notFound);
    expect(exitCodeFor(404, 'RevisionNotFound')).toBe(EXIT.notFound);
    expect(exitCodeFor(403, 'GatedRepo')).toBe(EXIT.denied);
    expect(exitCodeFor(401, undefined)).toBe(EXIT.denied);
    expect(exitCodeFor(503, 'UpstreamUnavailable')).toBe(EXIT.unavailable);
    expect(exitCodeFor(400, 'BadRequest')).toBe(EXIT.usage);
    expect(exitCodeFor(500, undefined)).toBe(EXIT.failure);
  });

  it('reads Prometheus samples', () => {
    const samples = parseMetrics(
      '# HELP x y\ndingo_served_bytes_total{source="cache"} 10\ndingo_up 1\nbad line\n',
    );
    expect(samples).toEqual([
      { name: 'dingo_served_bytes_total', labels: { source: 'cache' }, value: 10 },
      { name: 'dingo_up', labels: {}, value: 1 },
    ]);
  });
});

describe('FileFetcher', () => {
  const content = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251));
  const sha = createHash('sha256').update(content).digest('hex');
  const file: RemoteFile = { path: 'w.bin', size: content.length, blobId: 'x'.repeat(40), sha256: sha };
  let server: Server;
  let client: MirrorClient;
  let dir: string;
  let served: Buffer = content;
  const ranges: string[] = [];
  let failNext = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '')!;
      ranges.push(req.headers.range!);
      const [start, end] = [Number(m[1]), Number(m[2])];
      if (failNext > 0 && start === 0) {
        failNext--;
        // Three quarters of the range, then the connection drops.
        res.writeHead(206, { 'content-length': end - start + 1 });
        res.write(served.subarray(start, start + Math.floor(((end - start + 1) * 3) / 4)));
        setTimeout(() => res.destroy(), 10);
        return;
      }
      res.writeHead(206, {
        'content-range': `bytes ${start}-${end}/${served.length}`,
        'content-length': end - start + 1,
      });
      res.end(served.subarray(start, end + 1));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = new MirrorClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, undefined, 4);
  });
  afterAll(async () => {
    await client.close();
    server.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fetcher-'));
    ranges.length = 0;
    served = content;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const fetcher = (retries = 0) => new FileFetcher(client, { connections: 3, partSize: 64 * 1024, retries });
  const target = () => ({ file, urlPath: '/w', dest: join(dir, 'w.bin') });

  it('fetches a file in parallel ranges and verifies it', async () => {
    const ready: string[] = [];
    const report = await fetcher().fetchAll([target()], async (t) => void ready.push(t.dest));
    expect(readFileSync(join(dir, 'w.bin')).equals(content)).toBe(true);
    // Five parts over three connections: runs of two consecutive parts, one request each.
    expect(ranges.sort()).toEqual(['bytes=0-131071', 'bytes=131072-262143', 'bytes=262144-299999']);
    expect(report).toEqual({ files: 1, fetchedFiles: 1, bytes: content.length, resumedBytes: 0 });
    expect(ready).toEqual([join(dir, 'w.bin')]);
  });

  it('retries a range whose connection dropped from its first incomplete part, counting only the bytes kept', async () => {
    failNext = 1;
    const report = await fetcher(2).fetchAll([target()], async () => {});
    expect(report.bytes).toBe(content.length);
    // The dropped request had delivered its first part (3/4 of 128 KiB): the retry asks for the rest.
    expect(ranges.filter((r) => r.startsWith('bytes=0-') || r.startsWith('bytes=65536-')).sort()).toEqual([
      'bytes=0-131071',
      'bytes=65536-131071',
    ]);
    expect(readFileSync(join(dir, 'w.bin')).equals(content)).toBe(true);
  });

  it('resumes from the parts a previous run recorded', async () => {
    failNext = 10;
    await expect(fetcher(0).fetchAll([target()], async () => {})).rejects.toThrow();
    failNext = 0;
    const partial = join(dir, 'w.bin.dingo-partial');
    expect(statSync(partial).size).toBe(content.length);
    // Pretend the first two parts had landed.
    const { writeFileSync, openSync, writeSync, closeSync } = await import('node:fs');
    const fd = openSync(partial, 'r+');
    writeSync(fd, content, 0, 128 * 1024, 0);
    closeSync(fd);
    writeFileSync(
      `${partial}.parts`,
      JSON.stringify({ size: content.length, partSize: 64 * 1024, done: [0, 1] }),
    );
    ranges.length = 0;
    const report = await fetcher().fetchAll([target()], async () => {});
    expect(report.resumedBytes).toBe(128 * 1024);
    expect(report.bytes).toBe(content.length - 128 * 1024);
    expect(ranges.sort()).toEqual(['bytes=131072-196607', 'bytes=196608-262143', 'bytes=262144-299999']);
    expect(readFileSync(join(dir, 'w.bin')).equals(content)).toBe(true);
    expect(existsSync(partial)).toBe(false);
  });

  it('refuses bytes that do not match the sha256 and deletes them', async () => {
    served = Buffer.from(content);
    served[1000] ^= 0xff;
    const err = await fetcher()
      .fetchAll([target()], async () => {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.integrity);
    expect((err as CliError).message).toMatch(/sha256 is [0-9a-f]{64}, expected/);
    expect(existsSync(join(dir, 'w.bin'))).toBe(false);
    expect(existsSync(join(dir, 'w.bin.dingo-partial'))).toBe(false);
  });
});
