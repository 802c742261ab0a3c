import { createHash, randomBytes } from 'node:crypto';
import { createRepo, listCommits, uploadFiles } from '@huggingface/hub';
import { runHubClientPush } from '../hosted/hub-client-push';
import { Cluster, MiB, startCluster } from './cluster';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Hosted repos in distributed mode: pushed through one gateway, committed and read through the other. */
describe('distributed mode: hosted repos', () => {
  let c: Cluster;
  let token: string;
  beforeAll(async () => {
    c = await startCluster({}, { DINGO_LOCAL_NAMESPACES: 'acme' });
    const login = await fetch(`${c.gatewayA.url}/admin/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'cluster-admin-password' }),
    });
    token = ((await login.json()) as { accessToken: string }).accessToken;
  }, 180_000);
  afterAll(async () => c?.close(), 60_000);

  it('an upload through gateway A lands in MySQL and S3: gateway B commits it and both serve it', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const A = c.gatewayA.url;
    const B = c.gatewayB.url;
    const created = await fetch(`${A}/api/repos/create`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'dist', organization: 'acme' }),
    });
    expect(created.status).toBe(200);
    // B sees the repo A created (409), so both share one store.
    const again = await fetch(`${B}/api/repos/create`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'dist', organization: 'acme' }),
    });
    expect(again.status).toBe(409);

    const big = randomBytes(3 * MiB + 5);
    const oid = sha256(big);
    const batch = await fetch(`${A}/acme/dist.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/vnd.git-lfs+json' },
      body: JSON.stringify({
        operation: 'upload',
        transfers: ['basic'],
        objects: [{ oid, size: big.length }],
      }),
    });
    const href = ((await batch.json()) as any).objects[0].actions.upload.href as string;
    expect(href.startsWith(A)).toBe(true);
    expect((await fetch(href, { method: 'PUT', body: big })).status).toBe(200);

    const commit = await fetch(`${B}/api/models/acme/dist/commit/main`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-ndjson' },
      body: [
        { key: 'header', value: { summary: 'through B' } },
        {
          key: 'file',
          value: { path: 'config.json', content: Buffer.from('{}').toString('base64'), encoding: 'base64' },
        },
        { key: 'lfsFile', value: { path: 'model.bin', algo: 'sha256', oid, size: big.length } },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    });
    expect(commit.status).toBe(200);
    for (const gateway of [A, B]) {
      const res = await fetch(`${gateway}/acme/dist/resolve/main/model.bin`);
      expect(res.status).toBe(200);
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(oid);
      expect(await (await fetch(`${gateway}/acme/dist/resolve/main/config.json`)).text()).toBe('{}');
    }
    // Nothing about the hosted repo was ever asked of upstream.
    expect(c.sim.stats.requests.filter((r) => r.path.includes('acme'))).toEqual([]);
  }, 60_000);

  it('the real huggingface_hub pushes through gateway A and downloads every revision through gateway B', async () => {
    // The same script as the embedded suite; every download goes to the other gateway.
    const out = await runHubClientPush({ endpoint: c.gatewayA.url, readEndpoint: c.gatewayB.url, token });
    expect(out).toMatch(/^ok: /m);
    expect(c.sim.stats.requests.filter((r) => r.path.includes('acme/py-'))).toEqual([]);
  }, 300_000);

  it('@huggingface/hub uploads a 101 MiB LFS object through gateway A; gateway B serves it byte-identical', async () => {
    // The client insists on `hf_…` tokens; the admin session goes in through `fetch`.
    const fetch: typeof globalThis.fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${token}`);
      return globalThis.fetch(input, { ...init, headers });
    };
    const noToken = {} as { accessToken: string };
    const repo = { type: 'model' as const, name: 'acme/js-dist' };
    await createRepo({ repo, fetch, ...noToken, hubUrl: c.gatewayA.url });
    const big = randomBytes(101 * MiB + 3);
    await uploadFiles({
      repo,
      fetch,
      ...noToken,
      hubUrl: c.gatewayA.url,
      files: [{ path: 'model.safetensors', content: new Blob([big]) }],
    });
    const titles: string[] = [];
    for await (const commit of listCommits({ repo, hubUrl: c.gatewayB.url, fetch, ...noToken }))
      titles.push(commit.title);
    expect(titles).toHaveLength(2);
    const res = await globalThis.fetch(`${c.gatewayB.url}/acme/js-dist/resolve/main/model.safetensors`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(big));
  }, 300_000);
});
