import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ModelScopeSimulator } from '@dingo/modelscope-simulator';
import { UpstreamAddressPolicy, UpstreamHttp, UpstreamRefusedError } from '@dingo/upstream';
import { FakeUpstream, json } from '@dingo/upstream/testing';
import { ModelScopeClient, ModelScopeError } from './modelscope-client';
import { ModelScopeIdMap } from './id-map';
import { ModelScopeSource } from './modelscope-source';

async function read(body: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of body) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The answer ModelScope's own client test replays (modelscope/modelscope tests/hub/test_hub_retry.py). */
const REAL_LISTING =
  '{"Code": 200, "Data": { "Files": [ {"CommitMessage": "update","CommittedDate": 1667548386,"CommitterName": "行嗔","InCheck": false, ' +
  '"IsLFS": false, "Mode": "33188", "Name": "README.md", "Path": "README.md", ' +
  '"Revision": "e45fcc158894f18a7a8cfa3caf8b3dd1a2b26dc9",' +
  '"Sha256": "8bf99f410ae0a572e5a4a85a3949ad268d49023e5c6ef200c9bd4307f9ed0660", ' +
  '"Size": 6399,  "Type": "blob" } ] }, "Message": "success",' +
  '"RequestId": "8c2a8249-ce50-49f4-85ea-36debf918714","Success": true}';

describe('ModelScopeClient wire format', () => {
  it("parses ModelScope's file listing as its client test records it, and asks with Revision and Recursive=True", async () => {
    const fake = new FakeUpstream(() => ({ status: 200, body: REAL_LISTING }));
    const files = await new ModelScopeClient(fake, 'https://ms.example/').listFiles('damo/model', 'v1.0.0');
    expect(files).toEqual([
      expect.objectContaining({
        Path: 'README.md',
        Size: 6399,
        Type: 'blob',
        Sha256: '8bf99f410ae0a572e5a4a85a3949ad268d49023e5c6ef200c9bd4307f9ed0660',
        Revision: 'e45fcc158894f18a7a8cfa3caf8b3dd1a2b26dc9',
      }),
    ]);
    expect(fake.requests[0].url).toBe(
      'https://ms.example/api/v1/models/damo/model/repo/files?Revision=v1.0.0&Recursive=True',
    );
  });

  it('treats a Code other than 200 as an error even under HTTP 200, and 5xx as retryable', async () => {
    const refused = new FakeUpstream(() =>
      json({ Code: 10010205, Message: 'no such model', Success: false }),
    );
    await expect(
      new ModelScopeClient(refused, 'https://ms').listFiles('a/b', 'master'),
    ).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining('no such model'),
    });
    const down = new FakeUpstream(() => ({ status: 503, body: 'busy' }));
    const err = await new ModelScopeClient(down, 'https://ms').listRevisions('a/b').catch((e) => e);
    expect(err).toBeInstanceOf(ModelScopeError);
    expect(err).toMatchObject({ retryable: true, status: 503 });
  });

  it('refuses a 206 whose Content-Range is not the range asked for, and compressed bytes', async () => {
    const wrong = new FakeUpstream(() => ({
      status: 206,
      headers: { 'content-range': 'bytes 0-3/10' },
      body: 'abcd',
    }));
    await expect(
      new ModelScopeClient(wrong, 'https://ms').openRange('a/b', 'master', 'f', 4, 7, 10),
    ).rejects.toThrow(/another range/);
    const gz = new FakeUpstream(() => ({ status: 200, headers: { 'content-encoding': 'gzip' }, body: 'x' }));
    await expect(
      new ModelScopeClient(gz, 'https://ms').openRange('a/b', 'master', 'f', 0, 0, 1),
    ).rejects.toThrow(/Content-Encoding gzip/);
  });
});

describe('ModelScopeClient and ModelScopeSource against the simulator', () => {
  let sim: ModelScopeSimulator;
  let http: UpstreamHttp;
  const weights = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7 + 3) & 0xff));
  const older = Buffer.from('older weights');
  beforeAll(async () => {
    sim = await ModelScopeSimulator.start({ redirectDownloads: true });
    sim.addModel({
      id: 'LLM-Research/tiny',
      branches: {
        master: [
          { path: 'model.safetensors', content: weights },
          { path: 'nested/cfg.json', content: Buffer.from('{"a":1}') },
          { path: 'lies.bin', content: Buffer.from('real'), listedSha256: sha256(Buffer.from('fake')) },
        ],
      },
      tags: { 'v1.0': [{ path: 'old.bin', content: older }] },
    });
    http = new UpstreamHttp({ timeoutMs: 5000 });
  });
  afterAll(async () => {
    await http.close();
    await sim.stop();
  });

  it('lists files recursively with sha256, lists revisions, and reads ranges through the download redirect', async () => {
    const client = new ModelScopeClient(http, sim.url);
    const files = await client.listFiles('LLM-Research/tiny', 'master');
    expect(files.map((f) => [f.Path, f.Size, f.Sha256])).toEqual([
      ['model.safetensors', weights.length, sha256(weights)],
      ['nested/cfg.json', 7, sha256(Buffer.from('{"a":1}'))],
      ['lies.bin', 4, sha256(Buffer.from('fake'))],
    ]);
    const revisions = await client.listRevisions('LLM-Research/tiny');
    expect(revisions.branches.map((r) => r.Revision)).toEqual(['master']);
    expect(revisions.tags.map((r) => r.Revision)).toEqual(['v1.0']);
    const body = await read(
      await client.openRange('LLM-Research/tiny', 'master', 'model.safetensors', 1000, 1999, weights.length),
    );
    expect(body.equals(weights.subarray(1000, 2000))).toBe(true);
    await expect(client.listFiles('LLM-Research/none', 'master')).rejects.toMatchObject({
      status: 404,
      retryable: false,
    });
    expect(sim.stats.requests.oss).toBe(1);
  });

  it('covers a Hub file only with the same path, size and sha256; finds it on a tag; serves [start, end)', async () => {
    const source = new ModelScopeSource(
      new ModelScopeClient(http, sim.url),
      new ModelScopeIdMap({ org: 'LLM-Research' }),
      {
        revision: 'master',
        maxRevisions: 3,
        listingTtlMs: 60_000,
      },
    );
    const file = (path: string, content: Buffer, lfs = true) => ({
      repo: { type: 'model' as const, id: 'org/tiny' },
      commit: 'a'.repeat(40),
      path,
      size: content.length,
      sha256: lfs ? sha256(content) : null,
      blobId: lfs ? null : 'b'.repeat(40),
    });
    expect(await source.covers(file('model.safetensors', weights))).toBe(true);
    expect(await source.covers(file('model.safetensors', Buffer.alloc(weights.length)))).toBe(false); // other sha256
    expect(await source.covers(file('lies.bin', Buffer.from('real')))).toBe(false); // listing claims other bytes
    expect(await source.covers(file('nested/cfg.json', Buffer.from('{"a":1}'), false))).toBe(true); // git blob: size
    expect(await source.covers(file('old.bin', older))).toBe(true); // not on master, on tag v1.0
    expect(
      await source.covers({ ...file('model.safetensors', weights), repo: { type: 'space', id: 'org/tiny' } }),
    ).toBe(false);
    const got = await read(await source.openRange(file('model.safetensors', weights), 10, 20));
    expect(got.equals(weights.subarray(10, 20))).toBe(true);
    const tail = await read(await source.openRange(file('old.bin', older), 0, older.length));
    expect(tail.equals(older)).toBe(true);
    await expect(source.openRange(file('lies.bin', Buffer.from('real')), 0, 4)).rejects.toThrow(/no copy/);
  });

  it('follows the download redirect only where the address policy allows: not to an internal address it was not told of', async () => {
    // Trusted as configured: the endpoint itself (127.0.0.1); its redirect to `localhost` is another
    // origin that resolves to loopback, so it is refused like a Hub's redirect into the network.
    const guarded = new UpstreamHttp({
      timeoutMs: 5000,
      policy: new UpstreamAddressPolicy([sim.url], false),
    });
    sim.setOssOrigin(sim.url.replace('127.0.0.1', 'localhost'));
    try {
      const client = new ModelScopeClient(guarded, sim.url);
      expect((await client.listFiles('LLM-Research/tiny', 'master')).length).toBe(3);
      const err = await client
        .openRange('LLM-Research/tiny', 'master', 'model.safetensors', 0, 9, weights.length)
        .catch((e) => e);
      expect(err).toBeInstanceOf(UpstreamRefusedError);
    } finally {
      sim.setOssOrigin(undefined);
      await guarded.close();
    }
  });

  it('remembers that a model is not on ModelScope (404s are answers), for the listing TTL', async () => {
    const source = new ModelScopeSource(new ModelScopeClient(http, sim.url), new ModelScopeIdMap(), {
      revision: 'master',
      maxRevisions: 3,
      listingTtlMs: 60_000,
    });
    const file = {
      repo: { type: 'model' as const, id: 'nobody/nothing' },
      commit: 'a'.repeat(40),
      path: 'x.bin',
      size: 1,
      sha256: 'c'.repeat(64),
      blobId: null,
    };
    const asked = () => (sim.stats.requests.files ?? 0) + (sim.stats.requests.revisions ?? 0);
    const before = asked();
    expect(await source.covers(file)).toBe(false);
    expect(asked() - before).toBe(2); // master's listing, then the revisions
    expect(await source.covers(file)).toBe(false);
    expect(asked() - before).toBe(2);
  });

  it("describes a file of a repo the Hub never answered for by ModelScope's commit, size and sha256", async () => {
    const client = new ModelScopeClient(http, sim.url);
    const source = new ModelScopeSource(client, new ModelScopeIdMap({ org: 'LLM-Research' }), {
      revision: 'master',
      maxRevisions: 0,
      listingTtlMs: 60_000,
    });
    const listed = (await client.listFiles('LLM-Research/tiny', 'master')).find(
      (f) => f.Path === 'model.safetensors',
    )!;
    expect(await source.describe({ type: 'model', id: 'org/tiny' }, 'model.safetensors')).toEqual({
      commit: listed.Revision,
      size: weights.length,
      sha256: sha256(weights),
    });
    expect(listed.Revision).toMatch(/^[0-9a-f]{40}$/);
    expect(await source.describe({ type: 'model', id: 'org/tiny' }, 'absent.bin')).toBeUndefined();
    expect(await source.describe({ type: 'model', id: 'org/none' }, 'model.safetensors')).toBeUndefined();
    expect(await source.describe({ type: 'dataset', id: 'org/tiny' }, 'model.safetensors')).toBeUndefined();
    // A same-named id (no map entry) only with unseenRepos 'all'; 'none' never.
    const sameName = { type: 'model' as const, id: 'LLM-Research/tiny' };
    expect(await source.describe(sameName, 'model.safetensors')).toBeUndefined();
    const opts = { revision: 'master', maxRevisions: 0, listingTtlMs: 60_000 };
    const all = new ModelScopeSource(client, new ModelScopeIdMap(), { ...opts, unseenRepos: 'all' });
    expect(await all.describe(sameName, 'model.safetensors')).toMatchObject({ sha256: sha256(weights) });
    const none = new ModelScopeSource(client, new ModelScopeIdMap({ org: 'LLM-Research' }), {
      ...opts,
      unseenRepos: 'none',
    });
    expect(await none.describe({ type: 'model', id: 'org/tiny' }, 'model.safetensors')).toBeUndefined();
  });
});
