import { createHash, randomBytes } from 'node:crypto';
import { createRepo, deleteFile, downloadFile, listCommits, listFiles, uploadFiles } from '@huggingface/hub';
import { AccessWorld, startAccessWorld } from '../access/fixtures';

const sha256 = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The official JS client (@huggingface/hub) pushes to a hosted repo: it offers xet, gets basic. */
describe('hosted repos with @huggingface/hub', () => {
  let w: AccessWorld;
  let accessToken: string;

  beforeAll(async () => {
    w = await startAccessWorld({}, { localNamespaces: ['acme'] });
    const up = await w.user('js-up');
    await w.team('js-uploaders', [up], [{ role: 'uploader', pattern: 'acme/*' }]);
    accessToken = up.token;
  }, 60_000);
  afterAll(() => w?.close());

  it('createRepo (with files), uploadFiles with a > 100 MiB LFS file, deleteFile, listCommits, then downloads', async () => {
    const hubUrl = w.url;
    // The client insists on `hf_…` tokens; mirror tokens are `dgo_…`: it gets the header through `fetch`.
    const requested: string[] = [];
    const fetch: typeof globalThis.fetch = (input, init) => {
      requested.push(`${init?.method ?? 'GET'} ${input instanceof Request ? input.url : String(input)}`);
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${accessToken}`);
      return globalThis.fetch(input, { ...init, headers });
    };
    // The typings want a token; at run time none is passed (the header comes through `fetch`).
    const noToken = {} as { accessToken: string };
    const repo = { type: 'model' as const, name: 'acme/js-model' };
    const created = await createRepo({
      repo,
      fetch,
      ...noToken,
      hubUrl,
      files: [{ path: 'README.md', content: new Blob(['# js\n']) }],
    });
    expect(created.repoUrl).toBe(`${hubUrl}/acme/js-model`);
    await expect(createRepo({ repo, fetch, ...noToken, hubUrl })).rejects.toThrow(/already/);

    // Over 100 MiB: the size at which the Hub has clients upload LFS objects in parts.
    const big = randomBytes(101 * 1024 * 1024 + 5);
    await uploadFiles({
      repo,
      fetch,
      ...noToken,
      hubUrl,
      files: [
        { path: 'weights/model.safetensors', content: new Blob([big]) },
        { path: 'config.json', content: new Blob(['{"a":1}']) },
        { path: 'scratch.txt', content: new Blob(['temporary']) },
      ],
    });
    // The big object went up in parts (the batch answer's chunk_size), each once, then was completed.
    const parts = requested
      .map((r) => /^PUT .*\/info\/lfs\/objects\/[0-9a-f]{64}\/\d+\/part\/(\d+)/.exec(r)?.[1])
      .filter((n) => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts).toEqual(parts.map((_, i) => i + 1));
    expect(requested.some((r) => /^POST .*\/complete/.test(r))).toBe(true);
    await deleteFile({ repo, fetch, ...noToken, hubUrl, path: 'scratch.txt' });

    const files: string[] = [];
    for await (const f of listFiles({ repo, hubUrl, fetch, ...noToken, recursive: true }))
      if (f.type === 'file') files.push(f.path);
    expect(files.sort()).toEqual(['README.md', 'config.json', 'weights/model.safetensors']);

    const titles: string[] = [];
    for await (const c of listCommits({ repo, hubUrl, fetch, ...noToken })) titles.push(c.title);
    expect(titles).toHaveLength(4);
    expect(titles.at(-1)).toBe('initial commit');

    const blob = await downloadFile({ repo, path: 'weights/model.safetensors', hubUrl, fetch, ...noToken });
    expect(sha256(new Uint8Array(await blob!.arrayBuffer()))).toBe(sha256(big));
    const cfg = await downloadFile({ repo, path: 'config.json', hubUrl, fetch, ...noToken });
    expect(await cfg!.text()).toBe('{"a":1}');
  });
});
